using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>One dependency's health as a card shows it; <see cref="Status"/> is the word the UI and tests read.</summary>
public sealed record DependencyHealth(string Status, string? Description, double? DurationMs)
{
    public const string Healthy = "Healthy";
    public const string Degraded = "Degraded";
    public const string Unhealthy = "Unhealthy";
    public const string Unreachable = "Unreachable";
    public const string Unknown = "Unknown";
}

/// <summary>The API's <c>/health</c> answer: the API itself plus each dependency it reports.</summary>
public sealed record ApiHealth(bool Reachable, DependencyHealth Api, IReadOnlyDictionary<string, DependencyHealth> Dependencies)
{
    public static ApiHealth NotReached(string reason) =>
        new(false, new DependencyHealth(DependencyHealth.Unreachable, reason, null), new Dictionary<string, DependencyHealth>());

    public DependencyHealth Dependency(string name) =>
        Dependencies.GetValueOrDefault(name)
        ?? new DependencyHealth(DependencyHealth.Unknown, Reachable ? "The API does not report it." : "Unknown while the API is unreachable.", null);
}

/// <summary>What the overview page shows, read in one go and persisted from prerendering to the circuit.</summary>
public sealed record OverviewSnapshot(ApiHealth Api, DependencyHealth WebCache, FleetStatsResponse? Stats, DateTimeOffset CheckedAt);
