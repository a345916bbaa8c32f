using System.Diagnostics;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Api.Alerts;

/// <summary>
/// Every interval, on the replica holding the leader lock: takes the devices whose data changed (or whose hold is due),
/// evaluates the enabled rules that cover them, opens and resolves alerts, and tells the UI and webhooks. A device
/// nobody touched costs nothing.
/// </summary>
public sealed partial class AlertEvaluator(
    IServiceScopeFactory scopes,
    AlertSignals signals,
    AlertWindows windows,
    AlertNotifier notifier,
    AlertMetrics metrics,
    LeaderLock leaderLock,
    IOptions<AlertOptions> options,
    TimeProvider clock,
    ILogger<AlertEvaluator> logger) : BackgroundService
{
    public const string ActivitySourceName = "Fleet.Alerts";
    private static readonly ActivitySource Activities = new(ActivitySourceName);

    private const string LoadDevices = """
        SELECT d.id, d.type, d.region, d.hardware_revision, d.tags, d.connectivity,
               s.last_seq - s.first_seq + 1, GREATEST(0, s.last_seq - s.first_seq + 1 - s.received)
        FROM devices d LEFT JOIN telemetry_sequences s ON s.device_id = d.id
        WHERE d.id = ANY($1)
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.EvaluationInterval;
        var nextRolloutCheck = DateTimeOffset.MinValue;
        using var timer = new PeriodicTimer(interval, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                if (await leaderLock.TryHoldAsync("alert-evaluator", interval * 5 + TimeSpan.FromSeconds(2)))
                {
                    await EvaluateAsync(stoppingToken);
                    if (clock.GetUtcNow() >= nextRolloutCheck)
                    {
                        nextRolloutCheck = clock.GetUtcNow() + options.Value.RolloutCheckInterval;
                        await EvaluateRolloutsAsync(stoppingToken);
                    }
                }
            }
            catch (Exception exception) when (exception is RedisException or NpgsqlException or DbUpdateException or TimeoutException)
            {
                LogEvaluationFailed(logger, exception);
            }
        }
    }

    /// <summary>One evaluation; public so tests can drive it without waiting for the timer.</summary>
    public async Task<int> EvaluateAsync(CancellationToken cancellationToken)
    {
        var deviceIds = await signals.TakeAsync(options.Value.MaxDevicesPerEvaluation, clock.GetUtcNow());
        if (deviceIds.Count == 0)
        {
            return 0;
        }

        // Read after taking the devices, so a hold never starts before the change that caused it.
        var now = clock.GetUtcNow();
        var started = Stopwatch.GetTimestamp();

        using var activity = Activities.StartActivity("alerts.evaluate");
        activity?.SetTag("fleet.alerts.devices", deviceIds.Count);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var rules = await db.AlertRules.AsNoTracking().Where(r => r.Enabled).ToListAsync(cancellationToken);
        if (rules.Count == 0)
        {
            return 0;
        }

        var devices = await windows.ApplyAsync(
            await LoadSnapshotsAsync(scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>(), deviceIds, cancellationToken),
            loss: rules.Any(r => r.Kind == AlertRuleKind.SequenceGaps),
            drain: rules.Any(r => r.Kind == AlertRuleKind.BatteryDegradation),
            now);
        var active = await db.Alerts
            .Where(a => a.DeviceId != null && deviceIds.Contains(a.DeviceId.Value) && a.State != AlertState.Resolved)
            .ToDictionaryAsync(a => (a.RuleId, a.DeviceId!.Value), cancellationToken);
        var pairs = devices.SelectMany(device => rules.Where(rule => AlertConditions.InScope(rule, device)).Select(rule => (Rule: rule, Device: device))).ToList();
        var holds = await signals.HoldsAsync(pairs.Select(p => AlertSignals.HoldField(p.Rule.Id, p.Device.DeviceId)).ToList());

        var holdChanges = new Dictionary<string, DateTimeOffset?>();
        var rechecks = new Dictionary<Guid, DateTimeOffset>();
        var changes = new List<(AlertEvent Event, string? WebhookUrl)>();
        foreach (var (rule, device) in pairs)
        {
            var field = AlertSignals.HoldField(rule.Id, device.DeviceId);
            var existing = active.GetValueOrDefault((rule.Id, device.DeviceId));
            var result = AlertConditions.Evaluate(rule, device, options.Value.DrainNormFloorPerHour);
            var heldSince = holds.TryGetValue(field, out var since) ? since : (DateTimeOffset?)null;
            var decision = AlertHold.Decide(existing is not null, result.Breached, heldSince, TimeSpan.FromSeconds(rule.ForSeconds), now);
            if (decision.HoldSince != heldSince)
            {
                holdChanges[field] = decision.HoldSince;
            }

            if (decision.RecheckAt is { } recheckAt)
            {
                rechecks[device.DeviceId] = rechecks.TryGetValue(device.DeviceId, out var earlier) && earlier < recheckAt ? earlier : recheckAt;
            }

            if (decision.Move == AlertMove.Open)
            {
                var alert = Open(db, rule, device.DeviceId, null, result, now);
                changes.Add((Event(alert, rule, "none", now), rule.WebhookUrl));
            }
            else if (decision.Move == AlertMove.Clear && existing is not null)
            {
                changes.Add((Clear(db, existing, rule, $"cleared: {result.Message}", now), rule.WebhookUrl));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await signals.SaveHoldsAsync(holdChanges, rechecks);
        await notifier.PublishAsync(changes);
        activity?.SetTag("fleet.alerts.changes", changes.Count);
        metrics.Evaluated(deviceIds.Count, pairs.Count, Stopwatch.GetElapsedTime(started));
        foreach (var (change, _) in changes)
        {
            metrics.Transitioned(change.To, change.Severity);
        }

        return changes.Count;
    }

    internal static AlertEvent Event(Alert alert, AlertRule rule, string from, DateTimeOffset at) =>
        new(alert.Id, rule.Id, rule.Name, alert.DeviceId, AlertRuleNames.SeverityName(alert.Severity), from, alert.State.ToName(), alert.Message, at, alert.RolloutId);

    private async Task<List<DeviceAlertSnapshot>> LoadSnapshotsAsync(NpgsqlDataSource dataSource, IReadOnlyList<Guid> deviceIds, CancellationToken cancellationToken)
    {
        var rows = new List<(Guid Id, string Type, string Region, string Hw, string[] Tags, string Connectivity, long? Expected, long? Missing)>();
        await using (var command = dataSource.CreateCommand(LoadDevices))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = deviceIds.ToArray() });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetFieldValue<string[]>(4), reader.GetString(5),
                    reader.IsDBNull(6) ? null : reader.GetInt64(6), reader.IsDBNull(7) ? null : reader.GetInt64(7)));
            }
        }

        var ids = rows.Select(r => r.Id).ToList();
        var metrics = await signals.MetricsAsync(ids);
        var batteries = await signals.BatteriesAsync(ids);
        return rows.Select(r => new DeviceAlertSnapshot(
            r.Id, r.Type, r.Region, r.Hw, r.Tags, r.Connectivity,
            batteries.GetValueOrDefault(r.Id), metrics[r.Id], r.Expected, r.Missing)).ToList();
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Alert evaluation failed; the next tick retries")]
    private static partial void LogEvaluationFailed(ILogger logger, Exception exception);
}
