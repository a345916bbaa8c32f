using Fleet.AppHost;
using Fleet.AppHost.Publishing;
using Fleet.AppHost.Running;

AppHostCommandLine commandLine;
try
{
    commandLine = AppHostCommandLine.Parse(args);
}
catch (AppHostUsageException exception)
{
    Console.Error.WriteLine($"Fleet.AppHost: {exception.Message}");
    return AppHostUsageException.ExitCode;
}

if (commandLine.Help)
{
    Console.WriteLine(AppHostCommandLine.Usage);
    return 0;
}

var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
{
    Args = [.. commandLine.AspireArgs],
    DisableDashboard = commandLine.DashboardDisabled,
});
try
{
    builder.AddFleet();
}
catch (AppHostUsageException exception)
{
    Console.Error.WriteLine($"Fleet.AppHost: {exception.Message}");
    return AppHostUsageException.ExitCode;
}

if (await AppPublishing.PublishAsync(builder) is { } publishedExitCode)
{
    return publishedExitCode;
}

builder.AddRunningAppServices();

await builder.Build().RunAsync();
return Environment.ExitCode;
