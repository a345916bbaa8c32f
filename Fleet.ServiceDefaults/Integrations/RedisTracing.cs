using System.Collections.Concurrent;
using System.Diagnostics;
using StackExchange.Redis;
using StackExchange.Redis.Profiling;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// Turns StackExchange.Redis profiling into client spans (OpenTelemetry's Redis instrumentation is not
/// on the NuGet source here). Commands are collected per parent activity and emitted as children of it
/// after they complete, with their real start time and duration.
/// </summary>
public sealed class RedisTracing : IDisposable
{
    public const string ActivitySourceName = "Fleet.Redis";
    private static readonly ActivitySource Source = new(ActivitySourceName);
    private static readonly TimeSpan DrainInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<ActivitySpanId, ParentSession> _sessions = new();
    private readonly Timer _drainTimer;

    public RedisTracing() => _drainTimer = new Timer(_ => Drain(), null, DrainInterval, DrainInterval);

    public void Attach(IConnectionMultiplexer connection) => connection.RegisterProfiler(SessionForCurrentActivity);

    private ProfilingSession? SessionForCurrentActivity()
    {
        // Commands outside any trace (background polling) are not worth a root span each, nor are those of a trace
        // the sampler left out (children of an unrecorded parent are dropped anyway).
        var parent = Activity.Current;
        if (parent is null || !parent.Recorded || !Source.HasListeners())
        {
            return null;
        }

        return _sessions.GetOrAdd(parent.SpanId, _ => new ParentSession(parent.Context, new WeakReference<Activity>(parent), new ProfilingSession())).Session;
    }

    /// <summary>Emits the spans of every command completed so far; forgets parents that have ended.</summary>
    public void Drain()
    {
        foreach (var (spanId, entry) in _sessions)
        {
            var parentEnded = !entry.Parent.TryGetTarget(out var parent) || parent.IsStopped;
            foreach (var command in entry.Session.FinishProfiling())
            {
                Emit(command, entry.Context);
            }

            if (parentEnded)
            {
                _sessions.TryRemove(spanId, out _);
            }
        }
    }

    private static void Emit(IProfiledCommand command, ActivityContext parent)
    {
        var start = new DateTimeOffset(DateTime.SpecifyKind(command.CommandCreated, DateTimeKind.Utc));
        using var activity = Source.StartActivity(command.Command, ActivityKind.Client, parent, startTime: start);
        if (activity is null)
        {
            return;
        }

        activity.SetTag("db.system.name", "redis");
        activity.SetTag("db.operation.name", command.Command);
        activity.SetTag("db.namespace", command.Db);
        activity.SetTag("server.address", command.EndPoint?.ToString());
        activity.SetEndTime(start.UtcDateTime + command.ElapsedTime);
    }

    public void Dispose()
    {
        _drainTimer.Dispose();
        Drain();
    }

    private sealed record ParentSession(ActivityContext Context, WeakReference<Activity> Parent, ProfilingSession Session);
}
