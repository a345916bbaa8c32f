using Fleet.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace Fleet.Tests.AppHost;

/// <summary>The local Redis and PostgreSQL that BackingServices runs under DCP when no container engine answers.</summary>
public sealed class LocalBackingServicesTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task PostgreSQL_runs_unprivileged_with_the_ingest_settings()
    {
        await using var connection = new NpgsqlConnection(servers.PostgresConnectionString);
        await connection.OpenAsync(Cancellation);
        (await ShowAsync(connection, "shared_buffers")).ShouldBe("1GB");
        (await ShowAsync(connection, "wal_segment_size")).ShouldBe("256MB");
        (await ShowAsync(connection, "wal_init_zero")).ShouldBe("off");
        (await ShowAsync(connection, "max_wal_size")).ShouldBe("8GB");
        (await ShowAsync(connection, "listen_addresses")).ShouldBe("127.0.0.1");

        await using var backend = new NpgsqlCommand("SELECT pg_backend_pid()", connection);
        var pid = (int)(await backend.ExecuteScalarAsync(Cancellation))!;
        ProcessTree.UserId(pid).ShouldNotBe(0, "initdb and postgres refuse root; the AppHost runs them as an unprivileged account");
    }

    [Fact]
    public async Task PostgreSQL_refuses_a_wrong_password()
    {
        var wrong = new NpgsqlConnectionStringBuilder(servers.PostgresConnectionString) { Password = "not-the-password", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(wrong);
        (await Should.ThrowAsync<PostgresException>(() => connection.OpenAsync(Cancellation))).SqlState.ShouldBe(PostgresErrorCodes.InvalidPassword);
    }

    [Fact]
    public async Task Redis_keeps_an_append_only_file_and_refuses_clients_without_the_password()
    {
        var options = ConfigurationOptions.Parse(servers.RedisConnectionString);
        options.AllowAdmin = true;
        await using var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var server = redis.GetServers()[0];
        (await server.ConfigGetAsync("appendonly")).Single().Value.ShouldBe("yes");
        (await server.ConfigGetAsync("appendfsync")).Single().Value.ShouldBe("everysec");
        (await server.ConfigGetAsync("databases")).Single().Value.ShouldBe(ApiFactory.RedisDatabases.ToString(System.Globalization.CultureInfo.InvariantCulture));

        var anonymous = ConfigurationOptions.Parse(servers.RedisConnectionString);
        anonymous.Password = null;
        anonymous.AbortOnConnectFail = false;
        await using var stranger = await ConnectionMultiplexer.ConnectAsync(anonymous);
        await Should.ThrowAsync<RedisException>(() => stranger.GetDatabase().StringGetAsync("fleet:any"));
    }

    private static async Task<string> ShowAsync(NpgsqlConnection connection, string setting)
    {
        await using var command = new NpgsqlCommand($"SHOW {setting}", connection);
        return (string)(await command.ExecuteScalarAsync(Cancellation))!;
    }
}
