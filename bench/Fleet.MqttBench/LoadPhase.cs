using System.Diagnostics;
using Fleet.Bench;

namespace Fleet.MqttBench;

/// <summary>What one transport did over the measured window.</summary>
internal sealed record PhaseResult(
    string Transport, int Devices, int Rate, int Concurrency, int Seconds, long Acked, Dictionary<string, int> Failures, double[] AckMs,
    double StoredPerSecond, double[] QueryableMs, int QueryableMissing, int QueryableSamples, double DrainSeconds, long Backlog,
    IReadOnlyDictionary<string, double> CpuPercent);

/// <summary>
/// Drives one transport: message k (round robin over the devices, each with its next seq) is due at k / rate seconds
/// (with a rate) and sent by the first of the senders that is free, its latency counted from when it was due, so a
/// message that waited for a free sender counts the wait; without a rate each sender sends its next message when its
/// last is acknowledged. Acknowledgements are counted over <c>--seconds</c> after <c>--warmup</c>.
/// </summary>
internal sealed class LoadPhase(BenchOptions options, BenchDevice[] devices, long[] seqs, AppMeters meters)
{
    public async Task<PhaseResult> RunAsync(ITelemetrySender sender, int rate, int concurrency, CancellationToken cancellationToken)
    {
        var pace = rate > 0 ? $"paced at {rate:N0} messages/s" : "as fast as acknowledgements come";
        Console.WriteLine($"{sender.Transport}: {options.Devices} devices, {concurrency} in flight at most, {pace}, {options.Seconds} s measured after {options.WarmupSeconds} s ...");
        var storedAtStart = await meters.StoredReadingsAsync(cancellationToken);
        var probe = new QueryableProbe(meters.App.DatabaseConnectionString, DateTimeOffset.UtcNow.AddMinutes(-1));
        using var probing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probeTask = probe.RunAsync(probing.Token);

        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(options.WarmupSeconds * Stopwatch.Frequency);
        var stopAt = measureFrom + (long)(options.Seconds * Stopwatch.Frequency);
        var ticksPerMessage = rate > 0 ? Stopwatch.Frequency / (double)rate : 0;
        var next = -1L;
        var sent = 0L;
        var acked = 0L;
        var failures = new Dictionary<string, int>();
        var perSender = Enumerable.Range(0, concurrency).Select(_ => new List<double>()).ToArray();

        async Task SendLoopAsync(List<double> latencies)
        {
            while (Stopwatch.GetTimestamp() < stopAt && !cancellationToken.IsCancellationRequested)
            {
                var ticket = Interlocked.Increment(ref next);
                var due = rate > 0 ? start + (long)(ticket * ticksPerMessage) : 0;
                if (rate > 0)
                {
                    if (due >= stopAt)
                    {
                        break;
                    }

                    if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) is { TotalMilliseconds: > 0 } early)
                    {
                        await Task.Delay(early, cancellationToken);
                    }
                }

                var device = (int)(ticket % devices.Length);
                var seq = Interlocked.Increment(ref seqs[device]);
                var started = rate > 0 ? due : Stopwatch.GetTimestamp();
                if (started >= measureFrom && ticket % options.ProbeEvery == 0)
                {
                    probe.Add(devices[device].Id, seq, started);
                }

                Interlocked.Increment(ref sent);
                var failure = await sender.SendAsync(device, seq, cancellationToken);
                var done = Stopwatch.GetTimestamp();
                if (failure is null)
                {
                    Interlocked.Increment(ref acked);
                }

                if (done < measureFrom || done >= stopAt)
                {
                    continue;
                }

                if (failure is null)
                {
                    latencies.Add(Stopwatch.GetElapsedTime(started, done).TotalMilliseconds);
                }
                else
                {
                    lock (failures)
                    {
                        failures[failure] = failures.GetValueOrDefault(failure) + 1;
                    }
                }
            }
        }

        // The stored count and the processes' CPU time are read when the window opens and when it closes.
        var window = Task.Run(async () =>
        {
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), measureFrom), cancellationToken);
            var first = await meters.SnapshotAsync(cancellationToken);
            await Task.Delay(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), stopAt), cancellationToken);
            return (await meters.SnapshotAsync(cancellationToken)).Since(first);
        }, cancellationToken);
        await Task.WhenAll(perSender.Select(latencies => Task.Run(() => SendLoopAsync(latencies), cancellationToken)));
        var during = await window;

        // What the broker acknowledged but the api has not stored yet is stored before the next phase starts, so it does
        // not load that one; the probe follows its samples until then.
        var drain = Stopwatch.StartNew();
        var ackedTotal = Interlocked.Read(ref acked);
        long backlog;
        while ((backlog = ackedTotal - (long)(await meters.StoredReadingsAsync(cancellationToken) - storedAtStart)) > 0 && drain.Elapsed.TotalSeconds < options.DrainSeconds)
        {
            await Task.Delay(250, cancellationToken);
        }

        await Task.Delay(QueryableProbe.PollInterval * 5, cancellationToken);
        await probing.CancelAsync();
        await probeTask;
        var (queryable, missing) = probe.Result();
        if (backlog > 0)
        {
            Console.WriteLine($"{sender.Transport}: {backlog} acknowledged messages still not stored after {options.DrainSeconds} s");
        }

        return new PhaseResult(
            sender.Transport, devices.Length, rate, concurrency, options.Seconds, perSender.Sum(l => l.Count), failures,
            [.. perSender.SelectMany(l => l).Order()], during.Stored / options.Seconds, queryable, missing, queryable.Length + missing,
            drain.Elapsed.TotalSeconds, Math.Max(0, backlog), during.CpuPercent(options.Seconds));
    }
}
