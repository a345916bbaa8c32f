using Fleet.Api.Audit;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Alerts;

/// <summary>Operators' alerts: list, counts, detail with history, acknowledge and resolve.</summary>
public static class AlertsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapAlertsApi(this IEndpointRouteBuilder app)
    {
        var alerts = app.MapGroup("/api/v1/alerts")
            .WithTags("Alerts")
            .RequireRole(FleetRoles.Viewer);
        alerts.MapGet("/", ListAsync).WithSummary("Alerts, newest first: state, severity, ruleId, deviceId, rolloutId, page, pageSize, sort (openedAt or -openedAt)");
        alerts.MapGet("/counts", CountsAsync).WithSummary("Alerts by state; open and acknowledged ones by severity");
        alerts.MapGet("/{id:guid}", DetailAsync).WithSummary("An alert and every change of its state");
        alerts.MapPost("/{id:guid}/acknowledge", AcknowledgeAsync).RequireRole(FleetRoles.Operator).WithSummary("An operator has seen an open alert (who, note)").ProducesProblem(StatusCodes.Status409Conflict);
        alerts.MapPost("/{id:guid}/resolve", ResolveAsync).RequireRole(FleetRoles.Operator).WithSummary("An operator closes an open or acknowledged alert (who, note)").ProducesProblem(StatusCodes.Status409Conflict);
        app.MapAlertRulesApi();
        return app;
    }

    public static async Task<Results<Ok<AlertListResponse>, ValidationProblem>> ListAsync(
        string? state, string? severity, Guid? ruleId, Guid? deviceId, Guid? rolloutId, int? page, int? pageSize, string? sort,
        FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, MaxPageSize);
        var wantedState = AlertLifecycle.ParseState(state);
        if (state is not null && wantedState is null)
        {
            errors["state"] = ["must be open, acknowledged or resolved."];
        }

        var wantedSeverity = AlertRuleNames.ParseSeverity(severity);
        if (severity is not null && wantedSeverity is null)
        {
            errors["severity"] = [$"must be one of {string.Join(", ", AlertRuleNames.Severities)}."];
        }

        if (sort is not (null or "openedAt" or "-openedAt"))
        {
            errors["sort"] = ["must be openedAt or -openedAt."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var query = db.Alerts.AsNoTracking();
        query = wantedState is { } s ? query.Where(a => a.State == s) : query;
        query = wantedSeverity is { } v ? query.Where(a => a.Severity == v) : query;
        query = ruleId is { } r ? query.Where(a => a.RuleId == r) : query;
        query = deviceId is { } d ? query.Where(a => a.DeviceId == d) : query;
        query = rolloutId is { } o ? query.Where(a => a.RolloutId == o) : query;
        var total = await query.CountAsync(cancellationToken);
        var rows = Rows(db, query);
        var ordered = sort == "openedAt" ? rows.OrderBy(a => a.Alert.OpenedAt).ThenBy(a => a.Alert.Id) : rows.OrderByDescending(a => a.Alert.OpenedAt).ThenByDescending(a => a.Alert.Id);
        var items = await ordered.Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AlertListResponse([.. items.Select(ToResponse)], total));
    }

    public static async Task<Ok<AlertCountsResponse>> CountsAsync(FleetDbContext db, CancellationToken cancellationToken)
    {
        var byState = await db.Alerts.GroupBy(a => a.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        var bySeverity = await db.Alerts.Where(a => a.State != AlertState.Resolved)
            .GroupBy(a => a.Severity).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AlertCountsResponse(
            Enum.GetValues<AlertState>().ToDictionary(s => s.ToName(), s => byState.FirstOrDefault(g => g.Key == s)?.Count ?? 0),
            Enum.GetValues<AlertSeverity>().ToDictionary(AlertRuleNames.SeverityName, s => bySeverity.FirstOrDefault(g => g.Key == s)?.Count ?? 0)));
    }

    public static async Task<Results<Ok<AlertDetailResponse>, NotFound>> DetailAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken)
    {
        var row = await Rows(db, db.Alerts.AsNoTracking().Where(a => a.Id == id)).SingleOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            return TypedResults.NotFound();
        }

        var transitions = await db.AlertTransitions.AsNoTracking().Where(t => t.AlertId == id).OrderBy(t => t.Id)
            .Select(t => new { t.At, t.FromState, t.ToState, t.By, t.Note }).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AlertDetailResponse(ToResponse(row),
            [.. transitions.Select(t => new AlertTransitionResponse(t.At, t.FromState?.ToName(), t.ToState.ToName(), t.By, t.Note))]));
    }

    public static Task<Results<Ok<AlertResponse>, NotFound, ValidationProblem, ProblemHttpResult>> AcknowledgeAsync(
        Guid id, AlertActionRequest? request, HttpContext http, FleetDbContext db, AlertNotifier notifier, TimeProvider clock, CancellationToken cancellationToken) =>
        ChangeAsync(id, AlertAction.Acknowledge, request, http, db, notifier, clock, cancellationToken);

    public static Task<Results<Ok<AlertResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ResolveAsync(
        Guid id, AlertActionRequest? request, HttpContext http, FleetDbContext db, AlertNotifier notifier, TimeProvider clock, CancellationToken cancellationToken) =>
        ChangeAsync(id, AlertAction.Resolve, request, http, db, notifier, clock, cancellationToken);

    /// <summary>
    /// The update applies only if the alert is still in the state the decision was taken from (the evaluator may
    /// resolve it meanwhile); the change and its transition are one statement.
    /// </summary>
    private static async Task<Results<Ok<AlertResponse>, NotFound, ValidationProblem, ProblemHttpResult>> ChangeAsync(
        Guid id, AlertAction action, AlertActionRequest? request, HttpContext http, FleetDbContext db, AlertNotifier notifier, TimeProvider clock, CancellationToken cancellationToken)
    {
        var by = OperatorIdentity.Of(http.User);
        by = by.Length > AlertLimits.By ? by[..AlertLimits.By] : by;
        var note = request?.Note;
        var errors = new Dictionary<string, string[]>();

        if (note is { Length: > AlertLimits.Note })
        {
            errors["note"] = [$"must be at most {AlertLimits.Note} characters."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        while (true)
        {
            var alert = await db.Alerts.AsNoTracking().SingleOrDefaultAsync(a => a.Id == id, cancellationToken);
            if (alert is null)
            {
                return TypedResults.NotFound();
            }

            if (AlertLifecycle.Next(alert.State, action) is not { } next)
            {
                return TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: "Alert change not allowed",
                    detail: $"The alert is {alert.State.ToName()} and cannot be {(action == AlertAction.Acknowledge ? "acknowledged" : "resolved")}.",
                    extensions: new Dictionary<string, object?> { ["current"] = alert.State.ToName() });
            }

            var (now, from, to) = (clock.GetUtcNow(), alert.State.ToName(), next.ToName());
            var acknowledging = action == AlertAction.Acknowledge;
            var updated = await db.Database.ExecuteSqlInterpolatedAsync($"""
                WITH changed AS (
                    UPDATE alerts SET state = {to},
                        acknowledged_at = CASE WHEN {acknowledging} THEN {now} ELSE acknowledged_at END,
                        acknowledged_by = CASE WHEN {acknowledging} THEN {by} ELSE acknowledged_by END,
                        acknowledge_note = CASE WHEN {acknowledging} THEN {note} ELSE acknowledge_note END,
                        resolved_at = CASE WHEN {acknowledging} THEN resolved_at ELSE {now} END,
                        resolved_by = CASE WHEN {acknowledging} THEN resolved_by ELSE {by} END,
                        resolve_note = CASE WHEN {acknowledging} THEN resolve_note ELSE {note} END
                    WHERE id = {id} AND state = {from}
                    RETURNING id
                )
                INSERT INTO alert_transitions (alert_id, at, from_state, to_state, by, note)
                SELECT id, {now}, {from}, {to}, {by}, {note} FROM changed
                """, cancellationToken);
            if (updated != 1)
            {
                continue;
            }

            var row = await Rows(db, db.Alerts.AsNoTracking().Where(a => a.Id == id)).SingleAsync(cancellationToken);
            await notifier.PublishAsync([(AlertEvaluator.Event(row.Alert, row.Rule, from, now), row.Rule.WebhookUrl)]);
            return TypedResults.Ok(ToResponse(row));
        }
    }

    private static IQueryable<AlertRow> Rows(FleetDbContext db, IQueryable<Alert> alerts) =>
        from a in alerts
        join r in db.AlertRules on a.RuleId equals r.Id
        join d in db.Devices on a.DeviceId equals d.Id into devices
        from d in devices.DefaultIfEmpty()
        select new AlertRow { Alert = a, Rule = r, Serial = d == null ? null : d.Serial };

    private static AlertResponse ToResponse(AlertRow row) => new(
        row.Alert.Id, row.Alert.RuleId, row.Rule.Name, row.Alert.DeviceId, row.Serial, AlertRuleNames.SeverityName(row.Alert.Severity), row.Alert.State.ToName(),
        row.Alert.Message, row.Alert.Value, row.Alert.OpenedAt, row.Alert.AcknowledgedAt, row.Alert.AcknowledgedBy, row.Alert.AcknowledgeNote,
        row.Alert.ResolvedAt, row.Alert.ResolvedBy, row.Alert.ResolveNote, row.Alert.RolloutId);

    private sealed class AlertRow
    {
        public required Alert Alert { get; init; }

        public required AlertRule Rule { get; init; }

        public required string? Serial { get; init; }
    }
}
