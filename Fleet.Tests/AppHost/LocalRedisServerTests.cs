using System.Net;
using System.Net.Sockets;
using Fleet.AppHost.Hosting.Provisioning;
using Fleet.Tests.Infrastructure;
using StackExchange.Redis;

namespace Fleet.Tests.AppHost;

public sealed class LocalRedisServerTests : IDisposable
{
    private readonly string _directory = TestDirectories.Create("redis");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Started_server_answers_with_its_password_and_stops_completely()
    {
        var server = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-1"), null, Cancellation);
        var pid = server.ProcessId!.Value;

        await using (var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString))
        {
            (await connection.GetDatabase().PingAsync()).ShouldBeGreaterThanOrEqualTo(TimeSpan.Zero);
        }

        var withoutPassword = ConfigurationOptions.Parse(server.ConnectionString);
        withoutPassword.Password = null;
        withoutPassword.AbortOnConnectFail = true;
        await Should.ThrowAsync<RedisException>(async () =>
        {
            await using var anonymous = await ConnectionMultiplexer.ConnectAsync(withoutPassword);
            await anonymous.GetDatabase().StringGetAsync("anything");
        });

        await server.StopAsync();
        ProcessTree.IsRunning(pid).ShouldBeFalse();
    }

    [Fact]
    public async Task Second_start_on_the_same_folder_finds_the_data_of_the_first()
    {
        var first = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-2"), null, Cancellation);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(first.ConnectionString))
        {
            await connection.GetDatabase().StringSetAsync("fleet:test", "kept");
        }

        await first.StopAsync();

        var second = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-2"), null, Cancellation);
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(second.ConnectionString);
            ((string?)await connection.GetDatabase().StringGetAsync("fleet:test")).ShouldBe("kept");
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task What_was_written_survives_a_killed_server_through_its_append_only_file()
    {
        var first = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-5"), null, Cancellation);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(first.ConnectionString))
        {
            await connection.GetDatabase().StreamAddAsync("fleet:test:log", "f", "logged");
        }

        // No snapshot is taken on SIGKILL (and none within 60 s of one write): only the append-only file has the entry.
        Posix.Signal(first.ProcessId!.Value, Posix.SIGKILL);
        await Eventually.TrueAsync(() => Task.FromResult(!ProcessTree.IsRunning(first.ProcessId!.Value)), TimeSpan.FromSeconds(10), "the killed server to exit", Cancellation);

        var second = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-5"), null, Cancellation);
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(second.ConnectionString);
            (await connection.GetDatabase().StreamLengthAsync("fleet:test:log")).ShouldBe(1);
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task A_folder_with_only_a_snapshot_keeps_its_data_when_the_append_only_file_is_switched_on()
    {
        // A folder as servers before the append-only file left it: dump.rdb only.
        var older = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-6"), null, Cancellation);
        await using (var connection = await ConnectionMultiplexer.ConnectAsync(older.ConnectionString))
        {
            await connection.GetDatabase().StringSetAsync("fleet:test", "from the snapshot");
        }

        // A stopping server writes its snapshot.
        await older.StopAsync();
        File.Exists(Path.Combine(_directory, "dump.rdb")).ShouldBeTrue();
        Directory.Delete(Path.Combine(_directory, "appendonlydir"), recursive: true);

        var next = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-6"), null, Cancellation);
        try
        {
            await using var connection = await ConnectionMultiplexer.ConnectAsync(next.ConnectionString + ",allowAdmin=true");
            ((string?)await connection.GetDatabase().StringGetAsync("fleet:test")).ShouldBe("from the snapshot");
            (await connection.GetServers()[0].ConfigGetAsync("appendonly")).Single().Value.ShouldBe("yes");
        }
        finally
        {
            await next.StopAsync();
        }

        Directory.Exists(Path.Combine(_directory, "appendonlydir")).ShouldBeTrue();
    }

    [Fact]
    public async Task Preferred_port_in_use_gives_another_free_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var takenPort = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var server = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-3", takenPort), null, Cancellation);
        try
        {
            server.Url.ShouldNotEndWith($":{takenPort}");
            await using var connection = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
            await connection.GetDatabase().PingAsync();
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task A_server_left_running_on_the_folder_is_replaced_by_the_next_start()
    {
        var orphan = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-4"), null, Cancellation);
        var orphanPid = orphan.ProcessId!.Value;

        var next = await LocalRedisServer.StartAsync(new LocalRedisOptions(_directory, "pw-4"), null, Cancellation);
        try
        {
            ProcessTree.IsRunning(orphanPid).ShouldBeFalse();
            await using var connection = await ConnectionMultiplexer.ConnectAsync(next.ConnectionString);
            await connection.GetDatabase().PingAsync();
        }
        finally
        {
            await next.StopAsync();
        }
    }

    public void Dispose() => TestDirectories.Delete(_directory);
}
