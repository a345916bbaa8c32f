using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fleet.Api.Alerts;

/// <summary>
/// rollout_failure_ratio: every <see cref="AlertOptions.RolloutCheckInterval"/>, the leader counts the finished
/// updates of running and paused rollouts (one grouped query on the rollout-state index, per device attributes so a
/// rule's scope applies), and opens or resolves one alert per (rule, rollout) with the same holds as device rules.
/// An alert whose rollout is no longer running or paused resolves.
/// </summary>
public sealed partial class AlertEvaluator
{
    private const string LoadRolloutOutcomes = """
        SELECT r.id, coalesce(r.name, r.id::text), d.type, d.region, d.hardware_revision, d.tags,
               count(*) FILTER (WHERE rd.state IN ('failed', 'rolled-back'))::int, count(*)::int
        FROM rollouts r
        JOIN rollout_devices rd ON rd.rollout_id = r.id AND rd.state IN ('healthy', 'failed', 'rolled-back')
        JOIN devices d ON d.id = rd.device_id
        WHERE r.state IN ('running', 'paused')
        GROUP BY 1, 2, 3, 4, 5, 6
        """;

    /// <summary>One check of the rollouts; public so tests can drive it without waiting for the timer.</summary>
    public async Task<int> EvaluateRolloutsAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<FleetDbContext>();
        var rules = await db.AlertRules.AsNoTracking()
            .Where(r => r.Enabled && r.Kind == AlertRuleKind.RolloutFailureRatio).ToDictionaryAsync(r => r.Id, cancellationToken);
        var active = await db.Alerts.Where(a => a.RolloutId != null && a.State != AlertState.Resolved)
            .ToDictionaryAsync(a => (a.RuleId, a.RolloutId!.Value), cancellationToken);
        if (rules.Count == 0 && active.Count == 0)
        {
            return 0;
        }

        var outcomes = await LoadRolloutOutcomesAsync(scope.ServiceProvider.GetRequiredService<NpgsqlDataSource>(), cancellationToken);
        var running = await db.Rollouts.AsNoTracking()
            .Where(r => r.State == Rollouts.RolloutState.Running || r.State == Rollouts.RolloutState.Paused)
            .Select(r => new { r.Id, r.Name }).ToListAsync(cancellationToken);
        var pairs = rules.Values.SelectMany(rule => running.Select(rollout => (Rule: rule, RolloutId: rollout.Id, Name: rollout.Name ?? rollout.Id.ToString()))).ToList();
        var holds = await signals.HoldsAsync(pairs.Select(p => AlertSignals.HoldField(p.Rule.Id, p.RolloutId)).ToList());
        var holdChanges = new Dictionary<string, DateTimeOffset?>();
        var changes = new List<(AlertEvent Event, string? WebhookUrl)>();
        foreach (var (rule, rolloutId, name) in pairs)
        {
            var inScope = outcomes.Where(o => o.RolloutId == rolloutId && AlertConditions.InScope(rule, o.Device)).ToList();
            var result = AlertConditions.RolloutFailure(rule, name, inScope.Sum(o => o.Failed), inScope.Sum(o => o.Finished), options.Value.MinimumFinishedUpdates);
            var field = AlertSignals.HoldField(rule.Id, rolloutId);
            var heldSince = holds.TryGetValue(field, out var since) ? since : (DateTimeOffset?)null;
            var existing = active.GetValueOrDefault((rule.Id, rolloutId));
            var decision = AlertHold.Decide(existing is not null, result.Breached, heldSince, TimeSpan.FromSeconds(rule.ForSeconds), now);
            if (decision.HoldSince != heldSince)
            {
                holdChanges[field] = decision.HoldSince;
            }

            if (decision.Move == AlertMove.Open)
            {
                var alert = Open(db, rule, null, rolloutId, result, now);
                changes.Add((Event(alert, rule, "none", now), rule.WebhookUrl));
            }
            else if (decision.Move == AlertMove.Clear && existing is not null)
            {
                changes.Add((Clear(db, existing, rule, $"cleared: {result.Message}", now), rule.WebhookUrl));
            }
        }

        // Alerts of rollouts that ended (or of rules since disabled) have nothing left to watch.
        var watched = pairs.Select(p => (p.Rule.Id, p.RolloutId)).ToHashSet();
        foreach (var ((ruleId, rolloutId), alert) in active.Where(a => !watched.Contains(a.Key)))
        {
            var rule = rules.GetValueOrDefault(ruleId) ?? await db.AlertRules.AsNoTracking().SingleAsync(r => r.Id == ruleId, cancellationToken);
            changes.Add((Clear(db, alert, rule, "cleared: the rollout is no longer running", now), rule.WebhookUrl));
        }

        await db.SaveChangesAsync(cancellationToken);
        await signals.SaveHoldsAsync(holdChanges, new Dictionary<Guid, DateTimeOffset>());
        await notifier.PublishAsync(changes);
        foreach (var (change, _) in changes)
        {
            metrics.Transitioned(change.To, change.Severity);
        }

        return changes.Count;
    }

    private static Alert Open(FleetDbContext db, AlertRule rule, Guid? deviceId, Guid? rolloutId, ConditionResult result, DateTimeOffset now)
    {
        var alert = new Alert
        {
            Id = Guid.CreateVersion7(now),
            RuleId = rule.Id,
            DeviceId = deviceId,
            RolloutId = rolloutId,
            Severity = rule.Severity,
            State = AlertState.Open,
            Message = Truncate(result.Message, 512),
            Value = result.Value,
            OpenedAt = now,
        };
        db.Alerts.Add(alert);
        db.AlertTransitions.Add(new AlertTransition { AlertId = alert.Id, At = now, FromState = null, ToState = AlertState.Open, By = "evaluator", Note = alert.Message });
        return alert;
    }

    private static AlertEvent Clear(FleetDbContext db, Alert alert, AlertRule rule, string note, DateTimeOffset now)
    {
        var from = alert.State;
        alert.State = AlertState.Resolved;
        alert.ResolvedAt = now;
        alert.ResolvedBy = "evaluator";
        alert.ResolveNote = Truncate(note, AlertLimits.Note);
        db.AlertTransitions.Add(new AlertTransition { AlertId = alert.Id, At = now, FromState = from, ToState = AlertState.Resolved, By = "evaluator", Note = alert.ResolveNote });
        return Event(alert, rule, from.ToName(), now);
    }

    private static async Task<List<RolloutOutcome>> LoadRolloutOutcomesAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var rows = new List<RolloutOutcome>();
        await using var command = dataSource.CreateCommand(LoadRolloutOutcomes);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var device = new DeviceAlertSnapshot(Guid.Empty, reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<string[]>(5),
                "unknown", null, new Dictionary<string, double>(), null, null);
            rows.Add(new RolloutOutcome(reader.GetGuid(0), device, reader.GetInt32(6), reader.GetInt32(7)));
        }

        return rows;
    }

    /// <summary>Finished updates of one rollout among devices with the same attributes (the attributes a rule's scope reads).</summary>
    private sealed record RolloutOutcome(Guid RolloutId, DeviceAlertSnapshot Device, int Failed, int Finished);
}
