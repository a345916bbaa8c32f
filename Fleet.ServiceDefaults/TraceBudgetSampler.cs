using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Which traces come in volume and how many of them a process records (configuration section <see cref="Section"/>).
/// Everything else is always recorded.
/// </summary>
public sealed class TraceBudgetOptions
{
    public const string Section = "Fleet:Tracing";

    /// <summary>Request paths (whole segments) whose server spans are budgeted, e.g. the device-facing routes.</summary>
    public List<string> BudgetedPaths { get; } = [];

    /// <summary>Names of root spans that are budgeted, e.g. a background writer's span per group commit.</summary>
    public List<string> BudgetedSpans { get; } = [];

    /// <summary>Budgeted traces a process records per second at most, and in a burst (at least one); 0 records none of them.</summary>
    public double BudgetedTracesPerSecond { get; set; } = 10;
}

/// <summary>
/// Head sampling that bounds what tracing costs under load. A fleet's devices send thousands of requests a second,
/// and recording, exporting and storing a trace for each costs more CPU than the request itself; an operator's
/// requests and background jobs are few and are all recorded. Three kinds of trace are budgeted: a request on a
/// budgeted path (decided by <see cref="ShouldRecordRequest"/> in the ASP.NET Core instrumentation's filter, because
/// ASP.NET Core on .NET 10 gives a sampler no path; a device's request is budgeted even when the device sent a
/// recorded trace context, or the devices would decide what the API records), a budgeted root span, and a client
/// call made outside any trace (a polling loop's query). Each budgeted path, each budgeted span name and the outside
/// client calls have a budget of their own (a token bucket of <see cref="TraceBudgetOptions.BudgetedTracesPerSecond"/>),
/// so a busy poller does not use up the devices' traces. An incoming request is left to the filter whatever its
/// caller decided (so it is recorded unless its path's budget is spent); every other span follows its parent, and a
/// root span is recorded, as the SDK's default sampler does.
/// </summary>
public sealed class TraceBudgetSampler(TraceBudgetOptions options, TimeProvider time) : Sampler
{
    private static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    // One bucket per budget, made once from the options: each budgeted path, each budgeted span name, the calls outside traces.
    private readonly (string Prefix, TokenBucket Budget)[] _paths =
        [.. options.BudgetedPaths.Select(prefix => (prefix, new TokenBucket(options.BudgetedTracesPerSecond, time)))];
    private readonly Dictionary<string, TokenBucket> _spans =
        options.BudgetedSpans.Distinct().ToDictionary(name => name, _ => new TokenBucket(options.BudgetedTracesPerSecond, time));
    private readonly TokenBucket _callsOutsideTraces = new(options.BudgetedTracesPerSecond, time);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters)
    {
        var parent = samplingParameters.ParentContext;
        if (parent.TraceId != default)
        {
            return (parent.TraceFlags & ActivityTraceFlags.Recorded) != 0 || (samplingParameters.Kind == ActivityKind.Server && parent.IsRemote)
                ? Record
                : Drop;
        }

        if (samplingParameters.Kind == ActivityKind.Client)
        {
            return _callsOutsideTraces.TryTake() ? Record : Drop;
        }

        return !_spans.TryGetValue(samplingParameters.Name, out var budget) || budget.TryTake() ? Record : Drop;
    }

    /// <summary>Whether a request the sampler let through is recorded: always, unless its path is budgeted and the budget is spent.</summary>
    public bool ShouldRecordRequest(string path)
    {
        foreach (var (prefix, budget) in _paths)
        {
            if (IsUnder(path, prefix))
            {
                return budget.TryTake();
            }
        }

        return true;
    }

    private static bool IsUnder(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)
        && (path.Length == prefix.Length || prefix.EndsWith('/') || path[prefix.Length] == '/');

    /// <summary>Holds up to max(1, rate) tokens, refilled continuously at <paramref name="perSecond"/>; starts full.</summary>
    private sealed class TokenBucket(double perSecond, TimeProvider time)
    {
        private readonly Lock _gate = new();
        private readonly double _capacity = Math.Max(1, perSecond);
        private double _tokens = Math.Max(1, perSecond);
        private long _refilledAt = time.GetTimestamp();

        public bool TryTake()
        {
            if (perSecond <= 0)
            {
                return false;
            }

            lock (_gate)
            {
                var now = time.GetTimestamp();
                _tokens = Math.Min(_capacity, _tokens + (time.GetElapsedTime(_refilledAt, now).TotalSeconds * perSecond));
                _refilledAt = now;
                if (_tokens < 1)
                {
                    return false;
                }

                _tokens--;
                return true;
            }
        }
    }
}
