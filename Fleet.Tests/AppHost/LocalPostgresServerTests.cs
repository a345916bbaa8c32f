using System.Net;
using System.Net.Sockets;
using Fleet.AppHost.Hosting.Provisioning;
using Fleet.Tests.Infrastructure;
using Npgsql;

namespace Fleet.Tests.AppHost;

public sealed class LocalPostgresServerTests(BackingServers servers) : IDisposable
{
    private readonly string _directory = TestDirectories.Create("postgres");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Started_server_answers_a_query_and_stops_completely()
    {
        var server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "pw"), null, Cancellation);
        var pid = server.ProcessId!.Value;
        var children = ProcessTree.Descendants(pid);

        (await ScalarAsync<int>(server.ConnectionString, "SELECT 41 + 1")).ShouldBe(42);
        (await ScalarAsync<string>(server.ConnectionString, "SELECT current_setting('shared_buffers') || ' ' || current_setting('max_wal_size') || ' ' || current_setting('wal_init_zero') || ' ' || current_setting('wal_segment_size')"))
            .ShouldBe("1GB 8GB off 256MB", "the settings for ingest");

        await server.StopAsync();
        ProcessTree.IsRunning(pid).ShouldBeFalse();
        children.ShouldAllBe(child => !ProcessTree.IsRunning(child));
    }

    [Fact]
    public async Task Second_start_on_the_same_folder_finds_the_database_and_rows_of_the_first()
    {
        var first = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "pw"), null, Cancellation);
        await LocalPostgresServer.EnsureDatabaseAsync(first.ConnectionString, "fleetdb", Cancellation);
        var database = new NpgsqlConnectionStringBuilder(first.ConnectionString) { Database = "fleetdb" }.ConnectionString;
        await ScalarAsync<int>(database, "CREATE TABLE kept (value int); INSERT INTO kept VALUES (7); SELECT 1");
        await first.StopAsync();

        var second = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "pw"), null, Cancellation);
        try
        {
            await LocalPostgresServer.EnsureDatabaseAsync(second.ConnectionString, "fleetdb", Cancellation);
            var again = new NpgsqlConnectionStringBuilder(second.ConnectionString) { Database = "fleetdb" }.ConnectionString;
            (await ScalarAsync<int>(again, "SELECT value FROM kept")).ShouldBe(7);
        }
        finally
        {
            await second.StopAsync();
        }
    }

    [Fact]
    public async Task Server_never_runs_as_root_and_owns_its_data_folder()
    {
        var server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "pw"), null, Cancellation);
        try
        {
            var uid = ProcessTree.UserId(server.ProcessId!.Value);
            uid.ShouldNotBe(0);
            var dataDirectory = await ScalarAsync<string>(server.ConnectionString, "SELECT pg_catalog.current_setting('data_directory')");
            dataDirectory.ShouldBe(Path.Combine(_directory, "data"));
            if (Posix.IsRoot)
            {
                new DirectoryInfo(dataDirectory).UnixFileMode.ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
                ProcessTree.UserId(server.ProcessId!.Value).ShouldBe(UnixAccountUid("postgres"));
            }
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task Wrong_password_for_existing_data_is_reported_with_the_fix()
    {
        var first = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "original"), null, Cancellation);
        await first.StopAsync();

        var failure = await Should.ThrowAsync<BackingServiceUnavailableException>(
            () => LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "different"), null, Cancellation));
        failure.Message.ShouldContain("another password");
        failure.Message.ShouldContain("Delete that data folder");
    }

    [Fact]
    public async Task Preferred_port_in_use_gives_another_free_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var takenPort = ((IPEndPoint)squatter.LocalEndpoint).Port;

        var server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions(_directory, "pw", takenPort), null, Cancellation);
        try
        {
            server.Url.ShouldNotEndWith($":{takenPort}");
            (await ScalarAsync<int>(server.ConnectionString, "SELECT 1")).ShouldBe(1);
        }
        finally
        {
            await server.StopAsync();
        }
    }

    [Fact]
    public async Task Ensure_database_is_idempotent_and_refuses_unsafe_names()
    {
        var name = $"idem_{Guid.NewGuid():N}"[..20];
        await LocalPostgresServer.EnsureDatabaseAsync(servers.PostgresConnectionString, name, Cancellation);
        await LocalPostgresServer.EnsureDatabaseAsync(servers.PostgresConnectionString, name, Cancellation);
        (await ScalarAsync<long>(servers.PostgresConnectionString, $"SELECT count(*) FROM pg_database WHERE datname = '{name}'")).ShouldBe(1);

        await Should.ThrowAsync<ArgumentException>(() => LocalPostgresServer.EnsureDatabaseAsync(servers.PostgresConnectionString, "x\"; DROP", Cancellation));
    }

    private static int UnixAccountUid(string name) =>
        int.Parse(File.ReadLines("/etc/passwd").Select(line => line.Split(':')).First(fields => fields[0] == name)[2]);

    private static Task<T> ScalarAsync<T>(string connectionString, string sql) => Sql.ScalarAsync<T>(connectionString, sql, Cancellation);

    public void Dispose()
    {
        NpgsqlConnection.ClearAllPools();
        TestDirectories.Delete(_directory);
    }
}
