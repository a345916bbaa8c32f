using Fleet.AppHost.Hosting.Provisioning;
using Npgsql;

[assembly: AssemblyFixture(typeof(Fleet.Tests.Infrastructure.BackingServers))]

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL and one real Redis for the whole test run, started by the AppHost's own
/// provisioning code in a throwaway state folder. Tests that need isolation create their own database.
/// </summary>
public sealed class BackingServers : IAsyncLifetime
{
    private RunningServer? _postgres;
    private RunningServer? _redis;

    public string StateDirectory { get; } = TestDirectories.Create("backing");

    public string PostgresConnectionString => _postgres?.ConnectionString ?? throw new InvalidOperationException("PostgreSQL is not started.");

    public string RedisConnectionString => _redis?.ConnectionString ?? throw new InvalidOperationException("Redis is not started.");

    public async ValueTask InitializeAsync()
    {
        var postgres = LocalPostgresServer.StartAsync(
            new LocalPostgresOptions(Path.Combine(StateDirectory, "postgres"), "test-password"), null, CancellationToken.None);
        var redis = LocalRedisServer.StartAsync(
            new LocalRedisOptions(Path.Combine(StateDirectory, "cache"), "test-password", Databases: ApiFactory.RedisDatabases), null, CancellationToken.None);
        _postgres = await postgres;
        _redis = await redis;
    }

    /// <summary>A fresh, empty database on the shared server; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await LocalPostgresServer.EnsureDatabaseAsync(PostgresConnectionString, name, cancellationToken);
        return new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_postgres?.StopAsync() ?? Task.CompletedTask, _redis?.StopAsync() ?? Task.CompletedTask);
        TestDirectories.Delete(StateDirectory);
    }
}
