using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Alerts;

/// <summary>Operators' alert rules: create, list, read, edit, delete. Disabling a rule resolves its active alerts.</summary>
public static class AlertRulesApi
{
    public static IEndpointRouteBuilder MapAlertRulesApi(this IEndpointRouteBuilder app)
    {
        var rules = app.MapGroup("/api/v1/alert-rules")
            .WithTags("Alerts")
            .RequireRole(FleetRoles.Viewer);
        rules.MapGet("/", ListAsync).WithSummary("Alert rules by name: page, pageSize");
        rules.MapPost("/", CreateAsync).RequireRole(FleetRoles.Admin).WithSummary("A new rule: kind, severity, scope, condition, hold (forSeconds), optional webhook");
        rules.MapGet("/{id:guid}", GetAsync).WithSummary("One rule");
        rules.MapPut("/{id:guid}", UpdateAsync).RequireRole(FleetRoles.Admin).WithSummary("Replace a rule; disabling it resolves its active alerts");
        rules.MapDelete("/{id:guid}", DeleteAsync).RequireRole(FleetRoles.Admin).WithSummary("Delete a rule and its alerts (disable it instead to keep their history)");
        return app;
    }

    public static async Task<Results<Ok<AlertRuleListResponse>, ValidationProblem>> ListAsync(int? page, int? pageSize, FleetDbContext db, CancellationToken cancellationToken)
    {
        var errors = OperatorQueries.ValidatePaging(page, pageSize, AlertsApi.MaxPageSize);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var total = await db.AlertRules.CountAsync(cancellationToken);
        var items = await db.AlertRules.AsNoTracking().OrderBy(r => r.Name).ThenBy(r => r.Id)
            .Page(page, pageSize).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AlertRuleListResponse([.. items.Select(ToResponse)], total));
    }

    public static async Task<Results<Created<AlertRuleResponse>, ValidationProblem>> CreateAsync(
        AlertRuleRequest request, FleetDbContext db, WebhookTargets webhooks, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = AlertRuleValidation.Validate(request);
        await CheckWebhookAsync(request, webhooks, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var now = clock.GetUtcNow();
        var rule = new AlertRule { Id = Guid.CreateVersion7(now), Name = "", CreatedAt = now };
        AlertRuleValidation.Apply(request, rule, now);
        db.AlertRules.Add(rule);
        await db.SaveChangesAsync(cancellationToken);
        return TypedResults.Created($"/api/v1/alert-rules/{rule.Id}", ToResponse(rule));
    }

    public static async Task<Results<Ok<AlertRuleResponse>, NotFound>> GetAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken) =>
        await db.AlertRules.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id, cancellationToken) is { } rule
            ? TypedResults.Ok(ToResponse(rule))
            : TypedResults.NotFound();

    public static async Task<Results<Ok<AlertRuleResponse>, NotFound, ValidationProblem>> UpdateAsync(
        Guid id, AlertRuleRequest request, FleetDbContext db, AlertNotifier notifier, WebhookTargets webhooks, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = AlertRuleValidation.Validate(request);
        await CheckWebhookAsync(request, webhooks, errors, cancellationToken);
        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        var rule = await db.AlertRules.SingleOrDefaultAsync(r => r.Id == id, cancellationToken);
        if (rule is null)
        {
            return TypedResults.NotFound();
        }

        var now = clock.GetUtcNow();
        AlertRuleValidation.Apply(request, rule, now);
        var resolved = new List<(AlertEvent, string?)>();
        if (!rule.Enabled)
        {
            var active = await db.Alerts.Where(a => a.RuleId == id && a.State != AlertState.Resolved).ToListAsync(cancellationToken);
            foreach (var alert in active)
            {
                var from = alert.State;
                (alert.State, alert.ResolvedAt, alert.ResolvedBy, alert.ResolveNote) = (AlertState.Resolved, now, "operator", "rule disabled");
                db.AlertTransitions.Add(new AlertTransition { AlertId = alert.Id, At = now, FromState = from, ToState = AlertState.Resolved, By = "operator", Note = "rule disabled" });
                resolved.Add((AlertEvaluator.Event(alert, rule, from.ToName(), now), rule.WebhookUrl));
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await notifier.PublishAsync(resolved);
        return TypedResults.Ok(ToResponse(rule));
    }

    public static async Task<Results<NoContent, NotFound>> DeleteAsync(Guid id, FleetDbContext db, CancellationToken cancellationToken) =>
        await db.AlertRules.Where(r => r.Id == id).ExecuteDeleteAsync(cancellationToken) == 1 ? TypedResults.NoContent() : TypedResults.NotFound();

    private static AlertRuleResponse ToResponse(AlertRule rule) => new(
        rule.Id, rule.Name, AlertRuleNames.KindName(rule.Kind), AlertRuleNames.SeverityName(rule.Severity), rule.Scope,
        rule.Metric, rule.Op, rule.Value, rule.Status, rule.ForSeconds, rule.Enabled, rule.WebhookUrl, rule.CreatedAt, rule.UpdatedAt);

    /// <summary>A webhook that passed the URL checks must also resolve to addresses webhooks may reach.</summary>
    private static async Task CheckWebhookAsync(AlertRuleRequest request, WebhookTargets webhooks, Dictionary<string, string[]> errors, CancellationToken cancellationToken)
    {
        if (!errors.ContainsKey("webhookUrl") && request.WebhookUrl is { } url && Uri.TryCreate(url, UriKind.Absolute, out var uri)
            && await webhooks.RefusalAsync(uri, cancellationToken) is { } refusal)
        {
            errors["webhookUrl"] = [refusal];
        }
    }
}
