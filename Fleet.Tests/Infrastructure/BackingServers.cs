using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Fleet.AppHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

[assembly: AssemblyFixture(typeof(Fleet.Tests.Infrastructure.BackingServers))]

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL, one real Redis and one real Mosquitto for the whole test run: the AppHost's own app model
/// (Aspire.Hosting.Testing) with every resource but <c>cache</c>, <c>postgres</c>, <c>fleetdb</c> and <c>mqtt</c> taken out,
/// in a throwaway state folder. Tests that need isolation create their own database (and, on MQTT, their own share group).
/// </summary>
public sealed class BackingServers : IAsyncLifetime
{
    private static readonly string[] Kept = [FleetResources.Cache, FleetResources.Postgres, FleetResources.Database, FleetResources.Mqtt];
    private DistributedApplication? _app;

    public string StateDirectory { get; } = TestDirectories.Create("backing");

    public string PostgresConnectionString { get; private set; } = "";

    public string RedisConnectionString { get; private set; } = "";

    /// <summary><c>Host=...;Port=...;Username=fleet-admin;Password=...</c>, as the AppHost gives it to the api.</summary>
    public string MqttConnectionString { get; private set; } = "";

    /// <summary>The app running the two servers, for tests of the servers themselves (restarts, settings).</summary>
    public DistributedApplication App => _app ?? throw new InvalidOperationException("Not started.");

    public async ValueTask InitializeAsync()
    {
        var cancellation = TestContext.Current.CancellationToken;
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Fleet_AppHost>(
            [$"--state-dir={StateDirectory}", $"--Fleet:Redis:Databases={ApiFactory.RedisDatabases}"], cancellation);
        foreach (var resource in builder.Resources.Where(resource => resource is not ParameterResource && !Kept.Contains(resource.Name)).ToList())
        {
            builder.Resources.Remove(resource);
        }

        _app = await builder.BuildAsync(cancellation);
        await _app.StartAsync(cancellation);
        var notifications = _app.Services.GetRequiredService<ResourceNotificationService>();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        await Task.WhenAll(Kept.Select(name => notifications.WaitForResourceHealthyAsync(name, deadline.Token)));
        PostgresConnectionString = await _app.GetConnectionStringAsync(FleetResources.Postgres, cancellation) ?? "";
        RedisConnectionString = await _app.GetConnectionStringAsync(FleetResources.Cache, cancellation) ?? "";
        MqttConnectionString = await _app.GetConnectionStringAsync(FleetResources.Mqtt, cancellation) ?? "";
    }

    /// <summary>A fresh, empty database on the shared server; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        var name = $"{prefix}_{Guid.NewGuid():N}".ToLowerInvariant();
        await using var connection = new NpgsqlConnection(PostgresConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        TestDirectories.Delete(StateDirectory);
    }
}
