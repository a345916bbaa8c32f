using Microsoft.Extensions.Options;

namespace Fleet.Dashboard.Storage;

/// <summary>
/// Everything the receiver accepted, in memory, bounded per resource (service.name): past a bound the oldest
/// span, log record or metric point goes first and is counted. One lock per signal keeps ingest of traces,
/// logs and metrics from contending with each other; queries copy what they return under the same lock.
/// </summary>
public sealed class TelemetryStore(IOptions<DashboardOptions> options, TimeProvider clock)
{
    private readonly StorageOptions _limits = options.Value.Storage;
    private readonly Lock _spansGate = new();
    private readonly Lock _logsGate = new();
    private readonly Lock _metricsGate = new();
    private readonly Dictionary<string, BoundedLog<StoredSpan>> _spans = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<StoredSpan>> _traces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BoundedLog<StoredLogRecord>> _logs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, BoundedLog<StoredMetricPoint>> _points = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private long _logSequence;
    private long _version;

    /// <summary>Grows on every change; pages compare it to know whether to redraw.</summary>
    public long Version => Interlocked.Read(ref _version);

    public void AddSpans(IReadOnlyList<StoredSpan> spans)
    {
        if (spans.Count == 0)
        {
            return;
        }

        lock (_spansGate)
        {
            foreach (var span in spans)
            {
                var log = GetOrAdd(_spans, span.Resource, _limits.MaxSpansPerResource);
                if (log.Add(span, out var evicted) && evicted is not null && _traces.TryGetValue(evicted.TraceId, out var trace))
                {
                    trace.RemoveAt(trace.FindIndex(held => ReferenceEquals(held, evicted)));
                    if (trace.Count == 0)
                    {
                        _traces.Remove(evicted.TraceId);
                    }
                }

                if (!_traces.TryGetValue(span.TraceId, out var spansOfTrace))
                {
                    _traces[span.TraceId] = spansOfTrace = [];
                }

                spansOfTrace.Add(span);
            }
        }

        Touch(spans.Select(span => span.Resource));
    }

    /// <summary>Stores log records; the store numbers them in arrival order.</summary>
    public void AddLogs(IReadOnlyList<StoredLogRecord> records)
    {
        if (records.Count == 0)
        {
            return;
        }

        lock (_logsGate)
        {
            foreach (var record in records)
            {
                GetOrAdd(_logs, record.Resource, _limits.MaxLogRecordsPerResource).Add(record with { Sequence = ++_logSequence }, out _);
            }
        }

        Touch(records.Select(record => record.Resource));
    }

    public void AddMetricPoints(string resource, IReadOnlyList<StoredMetricPoint> points)
    {
        if (points.Count == 0)
        {
            return;
        }

        lock (_metricsGate)
        {
            var log = GetOrAdd(_points, resource, _limits.MaxMetricPointsPerResource);
            foreach (var point in points)
            {
                log.Add(point, out _);
            }
        }

        Touch([resource]);
    }

    public IReadOnlyList<ResourceTelemetryCounts> Resources()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        Dictionary<string, DateTimeOffset> lastSeen;
        lock (_lastSeen)
        {
            names.UnionWith(_lastSeen.Keys);
            lastSeen = new Dictionary<string, DateTimeOffset>(_lastSeen);
        }

        return names.Select(name =>
        {
            var (spans, droppedSpans) = Count(_spansGate, _spans, name);
            var (logs, droppedLogs) = Count(_logsGate, _logs, name);
            var (points, droppedPoints) = Count(_metricsGate, _points, name);
            return new ResourceTelemetryCounts(name, spans, logs, points, droppedSpans, droppedLogs, droppedPoints, lastSeen[name]);
        }).ToList();
    }

    /// <summary>Every trace with at least one span held, as copies of its spans, in no particular order.</summary>
    public IReadOnlyList<IReadOnlyList<StoredSpan>> Traces()
    {
        lock (_spansGate)
        {
            return _traces.Values.Select(spans => (IReadOnlyList<StoredSpan>)spans.ToArray()).ToList();
        }
    }

    public IReadOnlyList<StoredSpan>? Trace(string traceId)
    {
        lock (_spansGate)
        {
            return _traces.TryGetValue(traceId, out var spans) ? spans.OrderBy(span => span.Start).ToArray() : null;
        }
    }

    /// <summary>Newest first, at most <paramref name="limit"/>, matching <paramref name="filter"/>.</summary>
    public IReadOnlyList<StoredLogRecord> Logs(string? resource, Func<StoredLogRecord, bool> filter, int limit)
    {
        lock (_logsGate)
        {
            var sources = resource is null ? _logs.Values.ToList() : _logs.TryGetValue(resource, out var one) ? [one] : [];
            return sources.SelectMany(log => log.ItemsNewestFirst().Where(filter).Take(limit))
                .OrderByDescending(record => record.Sequence)
                .Take(limit)
                .ToList();
        }
    }

    /// <summary>A resource's metric points, oldest first, optionally of one instrument.</summary>
    public IReadOnlyList<StoredMetricPoint> MetricPoints(string resource, string? instrument = null)
    {
        lock (_metricsGate)
        {
            return _points.TryGetValue(resource, out var log)
                ? log.Items().Where(point => instrument is null || point.Instrument.Name == instrument).ToList()
                : [];
        }
    }

    private static BoundedLog<T> GetOrAdd<T>(Dictionary<string, BoundedLog<T>> logs, string resource, int capacity)
    {
        if (!logs.TryGetValue(resource, out var log))
        {
            logs[resource] = log = new BoundedLog<T>(capacity);
        }

        return log;
    }

    private static (int Count, long Dropped) Count<T>(Lock gate, Dictionary<string, BoundedLog<T>> logs, string resource)
    {
        lock (gate)
        {
            return logs.TryGetValue(resource, out var log) ? (log.Count, log.Dropped) : (0, 0);
        }
    }

    private void Touch(IEnumerable<string> resources)
    {
        var now = clock.GetUtcNow();
        lock (_lastSeen)
        {
            foreach (var resource in resources.Distinct())
            {
                _lastSeen[resource] = now;
            }
        }

        Interlocked.Increment(ref _version);
    }
}
