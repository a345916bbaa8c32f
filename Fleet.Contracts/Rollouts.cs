namespace Fleet.Contracts;

/// <summary>Routes of the rollout and audit endpoints.</summary>
public static class RolloutHttp
{
    public const string RolloutsRoute = "/api/v1/rollouts";
    public const string PreviewRoute = "/api/v1/rollouts/preview";
    public const string AuditRoute = "/api/v1/audit";

    public static string Rollout(Guid id) => $"{RolloutsRoute}/{id}";

    public static string Action(Guid id, string action) => $"{RolloutsRoute}/{id}/{action}";
}

/// <summary>
/// Which devices a rollout is for. Every given criterion must hold (AND); within one list any value matches (OR);
/// <c>Tags</c> match a device carrying any of them. <c>DeviceIds</c> alone is an explicit list. Nothing given: every active device.
/// </summary>
public sealed record RolloutTarget(
    IReadOnlyList<string>? DeviceTypes = null,
    IReadOnlyList<string>? HardwareRevisions = null,
    IReadOnlyList<string>? Regions = null,
    string? Environment = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<Guid>? DeviceIds = null);

/// <summary>
/// One phase: the share of the target it holds (0.01..100), how long it soaks before it may advance, the share of
/// its devices that must be healthy, and the share that may fail.
/// </summary>
public sealed record RolloutPhase(double Percent, TimeSpan MinimumSoak, double SuccessThreshold, double MaxFailureRatio);

/// <summary>A region that moves at its own pace: its percentage for each phase (as many as the plan's phases, ending at 100).</summary>
public sealed record SegmentOverride(string Region, IReadOnlyList<double> Percents);

/// <summary>
/// How a rollout proceeds. Omitted fields take defaults: phases 1% → 10% → 50% → 100%, auto-advance on,
/// auto-rollback off, see the API's RolloutPlans for the numbers. <c>MinPerStratum</c>: the first phase holds at least
/// this many devices of every hardware revision × region in the target (default 3, a whole stratum when it has fewer;
/// a value given explicitly that a stratum cannot meet is refused; 0 turns it off). <c>MinimumExecuted</c>: the finished
/// (healthy or failed) devices a gate needs before it may pass or breach; a phase holding fewer needs all of them finished.
/// </summary>
public sealed record RolloutPlan(
    IReadOnlyList<RolloutPhase>? Phases = null,
    IReadOnlyList<SegmentOverride>? SegmentOverrides = null,
    bool? AutoAdvance = null,
    bool? AutoRollback = null,
    int? MaxConcurrentUpdates = null,
    TimeSpan? PerDeviceTimeout = null,
    int? Retries = null,
    int? MinPerStratum = null,
    int? MinimumExecuted = null);

/// <summary>Body of <c>POST /api/v1/rollouts</c>; <c>GreenFirst</c>: green devices first, blue ones after promote.</summary>
public sealed record CreateRolloutRequest(
    Guid ReleaseId,
    RolloutTarget? Target = null,
    RolloutPlan? Plan = null,
    string? Name = null,
    bool GreenFirst = false);

/// <summary>Body of <c>POST /api/v1/rollouts/preview</c>.</summary>
public sealed record RolloutPreviewRequest(Guid ReleaseId, RolloutTarget? Target = null);

/// <summary>
/// How many active devices the target matches, and how many of them can take the release. <c>SmallestStratum</c>: the
/// hardware revision × region with the fewest of those (null when there are none): a plan's explicit
/// <c>MinPerStratum</c> above its count is refused.
/// </summary>
public sealed record RolloutPreviewResponse(int Matching, int Compatible, int Incompatible, IReadOnlyDictionary<string, int> IncompatibleBy, StratumSize? SmallestStratum = null);

/// <summary>How many devices of one hardware revision in one region a target holds.</summary>
public sealed record StratumSize(string HardwareRevision, string Region, int Devices);

/// <summary>Body of <c>POST /api/v1/rollouts/{id}/{action}</c>.</summary>
public sealed record RolloutActionRequest(string? Reason = null);

/// <summary>
/// A rollout. <c>State</c>: draft, running, paused, completed, aborted, rolled-back. <c>Devices</c> counts
/// devices by update state (waiting, pending, offered, ..., healthy, failed, rolled-back). <c>Phases</c>: the same
/// counts phase by phase, in the answers about one rollout (detail, create, actions); null in lists.
/// </summary>
public sealed record RolloutResponse(
    Guid Id,
    string? Name,
    Guid ReleaseId,
    string ReleaseVersion,
    RolloutTarget Target,
    RolloutPlan Plan,
    string State,
    int PhaseIndex,
    double PhasePercent,
    bool GreenFirst,
    bool Promoted,
    int Matching,
    int Compatible,
    int Incompatible,
    IReadOnlyDictionary<string, int> Devices,
    DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt,
    DateTimeOffset? PhaseStartedAt,
    DateTimeOffset? FinishedAt,
    string CreatedBy,
    IReadOnlyList<RolloutPhaseDevices>? Phases = null,
    RolloutFailures? Failures = null);

/// <summary>
/// The devices whose update failed in a rollout, rolled back since or not, counted by hardware revision and by region
/// (in the answers about one rollout; null in lists).
/// </summary>
public sealed record RolloutFailures(int Total, IReadOnlyDictionary<string, int> ByHardwareRevision, IReadOnlyDictionary<string, int> ByRegion);

/// <summary>
/// One phase of a rollout and its devices by update state. The phase holds the devices whose cohort bucket lies in
/// [<c>FromBucket</c>, <c>ToBucket</c>): the buckets its percentage adds to the phase before. A region with a segment
/// override has its own range in <c>Segments</c>. A green-first rollout's phases hold green devices first, blue ones after promote.
/// </summary>
public sealed record RolloutPhaseDevices(
    int Index,
    double Percent,
    int FromBucket,
    int ToBucket,
    IReadOnlyList<SegmentBuckets> Segments,
    IReadOnlyDictionary<string, int> Devices);

/// <summary>The bucket range a phase holds in a region with a segment override.</summary>
public sealed record SegmentBuckets(string Region, double Percent, int FromBucket, int ToBucket);

/// <summary>One page of a list and the number of items matching.</summary>
public sealed record PagedList<T>(IReadOnlyList<T> Items, int Total);

/// <summary>
/// One device's update in a rollout. <c>Reason</c> explains the current state; <c>FailureReason</c> is why the update
/// failed, kept after a rollback. <c>DeviceName</c> is the device's name, or its serial when it has none.
/// <c>Pinned</c>: in the first phase as one of its stratum's lowest buckets, whatever its bucket. <c>JoinedAt</c>: when the
/// device joined the rollout after it was created (registered later, or entered the target); null for the target at creation.
/// </summary>
public sealed record RolloutDeviceResponse(
    Guid DeviceId,
    string State,
    int Bucket,
    string Region,
    string Environment,
    int Attempts,
    string? Reason,
    bool RollbackRequested,
    DateTimeOffset? EnrolledAt,
    DateTimeOffset? StateChangedAt,
    string? FailureReason = null,
    string? HardwareRevision = null,
    string? DeviceName = null,
    bool Pinned = false,
    DateTimeOffset? JoinedAt = null);

/// <summary>
/// One stored gate evaluation and every number it used. <c>Verdict</c>: pass, wait or breach. The health
/// comparison is <c>Test</c> (one-sided two-proportion z-test, or Fisher's exact test for small counts) at <c>Alpha</c>.
/// <c>Finished</c>: devices healthy or failed so far; <c>RequiredFinished</c>: how many the gate needed before deciding
/// (the plan's minimum, or all the phase holds when that is fewer); <c>Withheld</c>: the verdict (pass or breach) the
/// gate held back as a wait because fewer had finished, null when nothing was held back.
/// </summary>
public sealed record GateEvaluationResponse(
    long Id,
    int PhaseIndex,
    double PhasePercent,
    DateTimeOffset EvaluatedAt,
    string Verdict,
    IReadOnlyList<string> Reasons,
    TimeSpan SoakElapsed,
    TimeSpan MinimumSoak,
    int Cohort,
    int Healthy,
    int Failed,
    int InFlight,
    double SuccessRatio,
    double SuccessThreshold,
    double FailureRatio,
    double MaxFailureRatio,
    int UpdatedDevices,
    int UpdatedOffline,
    int NotUpdatedDevices,
    int NotUpdatedOffline,
    string Test,
    double? Statistic,
    double? PValue,
    double Alpha,
    IReadOnlyList<GateHealthComparison>? Health = null,
    int Finished = 0,
    int RequiredFinished = 0,
    string? Withheld = null);

/// <summary>
/// One health signal of a gate: how many updated and not-yet-updated devices it touched (offline now, rebooted in
/// the window, reported the error metric in the window), the one-sided test that compared them, and whether the
/// updated devices were significantly worse at the per-signal α. Signals: <c>offline</c>, <c>rebooted</c>, <c>erroring</c>.
/// </summary>
public sealed record GateHealthComparison(
    string Signal,
    int UpdatedDevices,
    int UpdatedAffected,
    int NotUpdatedDevices,
    int NotUpdatedAffected,
    string Test,
    double? Statistic,
    double? PValue,
    double Alpha,
    bool Significant);

/// <summary>One audit log entry: who did what to which target, when and why.</summary>
public sealed record AuditEntryResponse(long Id, DateTimeOffset At, string Actor, string Action, string TargetType, Guid TargetId, string? Reason);

/// <summary>
/// The device channel: <c>GET /api/v1/device/channel</c>, a WebSocket authenticated by the device key, one JSON
/// message per text frame. Server → device: <see cref="UpdateOffer"/>, <see cref="RollbackRequest"/>, <see cref="ProgressAck"/>; device → server:
/// <see cref="UpdateProgress"/>.
/// </summary>
public static class DeviceChannel
{
    public const string Route = "/api/v1/device/channel";
    public const string Offer = "offer";
    public const string Rollback = "rollback";
    public const string Progress = "progress";
    public const string Ack = "ack";
    public const string Error = "error";
}

/// <summary>An update for the device: download <c>Url</c> (Range supported), check <c>Sha256</c>, install.</summary>
public sealed record UpdateOffer(string Type, Guid RolloutId, Guid ReleaseId, string Version, string Sha256, long Size, string Url);

/// <summary>The rollout was rolled back: go back to the previous slot, then report progress <c>rolled-back</c>.</summary>
public sealed record RollbackRequest(string Type, Guid RolloutId, Guid ReleaseId);

/// <summary>Where the device is with an update: offered, downloading, downloaded, installing, rebooting, healthy, failed, rolled-back.</summary>
public sealed record UpdateProgress(string Type, Guid RolloutId, string State, string? Reason = null);

/// <summary>
/// The server's answer to a progress message (or to an unreadable message, with <c>Type</c> error):
/// <c>Outcome</c> is recorded, unchanged, illegal or not-found; an <c>error</c> says unreadable, or unavailable (not recorded: send it again).
/// </summary>
public sealed record ProgressAck(string Type, Guid? RolloutId, string? State, string Outcome, string? Detail = null);
