using Fleet.Cli;

return await FleetCli.RunAsync(args, CliContext.FromProcess());
