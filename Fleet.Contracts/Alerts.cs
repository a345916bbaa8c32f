namespace Fleet.Contracts;

/// <summary>
/// Which devices a rule watches; an empty list means "any". A device matches when it matches every non-empty list
/// (and at least one of the tags when tags are given).
/// </summary>
public sealed record AlertScope(
    IReadOnlyList<string>? Types = null,
    IReadOnlyList<string>? Regions = null,
    IReadOnlyList<string>? HardwareRevisions = null,
    IReadOnlyList<string>? Tags = null);

/// <summary>
/// Body of <c>POST/PUT /api/v1/alert-rules</c>. <c>Kind</c>: <c>metric_threshold</c> (metric, op, value),
/// <c>battery_low</c> (value, default 20), <c>connectivity</c> (status at-risk or offline), <c>sequence_gaps</c>
/// (value: ratio of missing readings over the last window, 0..1), <c>battery_degradation</c> (value: how many times
/// its type's median drain rate a device's drain over the last window must exceed, default 3),
/// <c>rollout_failure_ratio</c> (value: failed over finished updates of a running or paused rollout, among the
/// devices in scope, 0..1, default 0.1; one alert per rollout). <c>ForSeconds</c> is how long the condition must hold before the alert
/// opens, and how long it must be clear before the alert resolves by itself (held-back flapping).
/// </summary>
public sealed record AlertRuleRequest(
    string? Name,
    string? Kind,
    string? Severity,
    AlertScope? Scope = null,
    string? Metric = null,
    string? Op = null,
    double? Value = null,
    string? Status = null,
    int? ForSeconds = null,
    bool? Enabled = null,
    string? WebhookUrl = null);

public sealed record AlertRuleResponse(
    Guid Id,
    string Name,
    string Kind,
    string Severity,
    AlertScope Scope,
    string? Metric,
    string? Op,
    double? Value,
    string? Status,
    int ForSeconds,
    bool Enabled,
    string? WebhookUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt);

public sealed record AlertRuleListResponse(IReadOnlyList<AlertRuleResponse> Items, int Total);

/// <summary>One alert: <c>State</c> is open, acknowledged or resolved. It is about a device, or (rule kind rollout_failure_ratio) a rollout.</summary>
public sealed record AlertResponse(
    Guid Id,
    Guid RuleId,
    string RuleName,
    Guid? DeviceId,
    string? DeviceSerial,
    string Severity,
    string State,
    string Message,
    double? Value,
    DateTimeOffset OpenedAt,
    DateTimeOffset? AcknowledgedAt,
    string? AcknowledgedBy,
    string? AcknowledgeNote,
    DateTimeOffset? ResolvedAt,
    string? ResolvedBy,
    string? ResolveNote,
    Guid? RolloutId = null);

public sealed record AlertListResponse(IReadOnlyList<AlertResponse> Items, int Total);

public sealed record AlertTransitionResponse(DateTimeOffset At, string? From, string To, string By, string? Note);

public sealed record AlertDetailResponse(AlertResponse Alert, IReadOnlyList<AlertTransitionResponse> Transitions);

/// <summary>Body of <c>POST /api/v1/alerts/{id}/acknowledge|resolve</c>.</summary>
public sealed record AlertActionRequest(string? Note = null);

/// <summary>Body of <c>GET /api/v1/alerts/counts</c>: alerts by state, and open plus acknowledged ones by severity.</summary>
public sealed record AlertCountsResponse(IReadOnlyDictionary<string, int> ByState, IReadOnlyDictionary<string, int> ActiveBySeverity);

/// <summary>Published on Redis channel <see cref="FleetChannels.Alerts"/> and POSTed to a rule's webhook.</summary>
public sealed record AlertEvent(Guid AlertId, Guid RuleId, string RuleName, Guid? DeviceId, string Severity, string From, string To, string Message, DateTimeOffset At, Guid? RolloutId = null);
