using System.CommandLine;
using Fleet.Cli.Connection;

namespace Fleet.Cli.Commands;

/// <summary>One invocation of a command: its parse result, the context, <c>--json</c>, and the API client made on first use.</summary>
public sealed class CommandRun(CliContext context, ParseResult parse) : IDisposable
{
    private FleetApiClient? _api;

    public CliContext Context => context;

    public ParseResult Parse => parse;

    public TextWriter Out => context.Out;

    public bool Json => parse.GetValue<bool>(FleetCli.JsonOptionName);

    public FleetApiClient Api => _api ??= Connect();

    public T? Value<T>(Option<T> option) => parse.GetValue(option);

    public T Required<T>(Argument<T> argument) => parse.GetRequiredValue(argument);

    /// <summary>Writes the API's JSON for scripts, or the people's version.</summary>
    public int Write<T>(ApiAnswer<T> answer, Action<T> forPeople)
    {
        if (Json)
        {
            Out.WriteLine(answer.Json);
        }
        else
        {
            forPeople(answer.Value);
        }

        return 0;
    }

    private FleetApiClient Connect()
    {
        var connection = ConnectionResolver.Resolve(context);
        return FleetApiClient.Create(context, connection.Url, connection.Token);
    }

    public void Dispose() => _api?.Dispose();
}

public static class CommandActions
{
    /// <summary>Runs <paramref name="action"/> for the command; usage errors exit 2, API refusals 1, each as one line on stderr.</summary>
    public static Command Runs(this Command command, CliContext context, Func<CommandRun, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var run = new CommandRun(context, parse);
            try
            {
                return await action(run, cancellationToken);
            }
            catch (UsageException exception)
            {
                await context.Error.WriteLineAsync($"fleet: {exception.Message}");
                return FleetCli.UsageExit;
            }
            catch (ApiRefusalException exception)
            {
                await context.Error.WriteLineAsync($"fleet: {exception.Message}");
                return FleetCli.FailedExit;
            }
        });
        return command;
    }
}
