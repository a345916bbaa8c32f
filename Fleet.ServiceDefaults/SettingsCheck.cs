using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Validates every settings section before the host starts, so a bad value is one line naming the setting and its
/// allowed range, and an exit code (2) an operator sees, instead of a stack trace at every restart; the AppHost does
/// not restart a service that exits with it. Every service calls it, so all say it the same way.
/// </summary>
public static partial class SettingsCheck
{
    /// <summary>True when every section registered with ValidateOnStart is valid; else writes one line to <paramref name="error"/>.</summary>
    public static bool Passes(IServiceProvider services, string program, TextWriter error)
    {
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return true;
        }
        catch (OptionsValidationException exception)
        {
            error.WriteLine($"{program}: {Describe([exception])}");
        }
        catch (AggregateException exception) when (exception.InnerExceptions.All(inner => inner is OptionsValidationException))
        {
            error.WriteLine($"{program}: {Describe(exception.InnerExceptions.Cast<OptionsValidationException>())}");
        }

        return false;
    }

    /// <summary>"invalid setting Fleet:Telemetry:RequestsPerDevicePerMinute: The field ... must be between 1 and 100000."</summary>
    public static string Describe(IEnumerable<OptionsValidationException> exceptions) =>
        "invalid setting " + string.Join("; ", exceptions.SelectMany(exception => exception.Failures.Select(failure => Describe(exception.OptionsType, failure))));

    private static string Describe(Type options, string failure)
    {
        var section = options.GetField("Section", BindingFlags.Public | BindingFlags.Static)?.GetRawConstantValue() as string ?? options.Name;
        var match = DataAnnotationFailure().Match(failure);
        // A nested section's member comes as "Simulator.HeartbeatSeconds": configuration spells it with ':'.
        return match.Success ? $"{section}:{match.Groups["member"].Value.Replace('.', ':')}: {match.Groups["error"].Value}" : failure.ReplaceLineEndings(" ");
    }

    [GeneratedRegex("members: '(?<member>[^']+)' with the error: '(?<error>.*)'\\.$")]
    private static partial Regex DataAnnotationFailure();
}
