using Fleet.Contracts;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Fleet.Web.Services;

/// <summary>Reads everything the overview shows: the API and what it depends on, the UI's own Redis, the fleet's counts.</summary>
public sealed class FleetOverview(ApiHealthProbe probe, FleetApiClient api, HealthCheckService ownHealth, TimeProvider time)
{
    /// <summary>The name Aspire's <c>AddRedisClient</c> registers its health check under.</summary>
    public const string CacheCheck = "StackExchange.Redis";

    /// <summary>The name Aspire's <c>AddNpgsqlDataSource</c> registers its health check under (the api's).</summary>
    public const string DatabaseCheck = "PostgreSql";

    /// <summary>The stats call retries transient failures; the overview would rather show "—" than wait.</summary>
    private static readonly TimeSpan StatsBudget = TimeSpan.FromSeconds(3);

    /// <summary>While Redis is down, its PING waits out the client's whole command timeout (5 s).</summary>
    private static readonly TimeSpan OwnCacheBudget = TimeSpan.FromSeconds(2);

    public async Task<OverviewSnapshot> ReadAsync(CancellationToken cancellationToken)
    {
        var apiHealthTask = probe.CheckAsync(cancellationToken);
        var webCacheTask = CheckOwnCacheAsync(cancellationToken);
        await Task.WhenAll(apiHealthTask, webCacheTask);
        var apiHealth = await apiHealthTask;
        var stats = apiHealth.Reachable ? await ReadStatsAsync(cancellationToken) : null;
        return new OverviewSnapshot(apiHealth, await webCacheTask, stats, time.GetUtcNow());
    }

    private async Task<FleetStatsResponse?> ReadStatsAsync(CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(StatsBudget);
        try
        {
            return await api.GetFleetStatsAsync(budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private async Task<DependencyHealth> CheckOwnCacheAsync(CancellationToken cancellationToken)
    {
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(OwnCacheBudget);
        HealthReport report;
        try
        {
            report = await ownHealth.CheckHealthAsync(registration => registration.Name == CacheCheck, budget.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DependencyHealth(DependencyHealth.Unhealthy, $"Redis does not answer PING within {OwnCacheBudget.TotalSeconds:0} s.", OwnCacheBudget.TotalMilliseconds);
        }

        return report.Entries.TryGetValue(CacheCheck, out var entry)
            ? new DependencyHealth(entry.Status.ToString(), entry.Description ?? entry.Exception?.Message, entry.Duration.TotalMilliseconds)
            : new DependencyHealth(DependencyHealth.Unknown, "No cache health check is registered.", null);
    }
}
