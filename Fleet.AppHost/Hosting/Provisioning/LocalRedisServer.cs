using StackExchange.Redis;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <param name="BinDirectory">Where redis-server is; null searches PATH and the usual folders.</param>
public sealed record LocalRedisOptions(string DataDirectory, string Password, int? PreferredPort = null, string? BinDirectory = null, int Databases = 16);

/// <summary>
/// Runs <c>redis-server</c> from the local binaries with its data (an append-only file and RDB snapshots) under the state folder,
/// so a second run finds what the first one stored. The password lives in a config file, not on the command line.
/// </summary>
public static class LocalRedisServer
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    public static bool IsAvailable(string? binDirectory) => ServerBinaries.FindRedisServer(binDirectory) is not null;

    public static async Task<RunningServer> StartAsync(LocalRedisOptions options, Action<string, bool>? onLine, CancellationToken cancellationToken)
    {
        var executable = ServerBinaries.FindRedisServer(options.BinDirectory)
            ?? throw new BackingServiceUnavailableException("redis-server was not found. " + ServerBinaries.InstallHint);

        var dataDirectory = Path.GetFullPath(options.DataDirectory);
        Directory.CreateDirectory(dataDirectory);
        var pidFile = Path.Combine(dataDirectory, "redis.pid");
        await StopLeftoverAsync(pidFile);

        // The append-only file, written each second, keeps what was acknowledged into the telemetry log across a Redis
        // restart. Redis started with it switched on ignores a snapshot it finds without one, so a folder from before it
        // starts from its snapshot and switches the file on once running, which writes it from the data loaded.
        var fromSnapshot = File.Exists(Path.Combine(dataDirectory, "dump.rdb")) && !Directory.Exists(Path.Combine(dataDirectory, "appendonlydir"));
        var port = PortAllocator.Choose(options.PreferredPort);
        var configFile = Path.Combine(dataDirectory, "redis.conf");
        await File.WriteAllLinesAsync(configFile,
        [
            "bind 127.0.0.1",
            $"port {port}",
            $"dir {dataDirectory}",
            "dbfilename dump.rdb",
            "save 60 1",
            $"appendonly {(fromSnapshot ? "no" : "yes")}",
            "appendfsync everysec",
            // The telemetry log's entries come and go, so the file grows fast and its rewrite is small: rewriting at the
            // default 64 MB forked Redis every few seconds under load.
            "auto-aof-rewrite-min-size 512mb",
            "daemonize no",
            $"pidfile {pidFile}",
            "logfile \"\"",
            $"requirepass {options.Password}",
            $"databases {options.Databases}",
        ], cancellationToken);
        File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var process = ChildProcess.Start(new ChildProcessSpec(executable, [configFile], dataDirectory), onLine);
        var connectionString = $"127.0.0.1:{port},password={options.Password}";
        try
        {
            await WaitUntilAnswersAsync(connectionString, process, cancellationToken);
            if (fromSnapshot)
            {
                await SwitchOnAppendOnlyFileAsync(connectionString);
            }
        }
        catch
        {
            await process.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(5));
            throw;
        }

        return new RunningServer(
            ProvisioningMode.Local,
            connectionString,
            $"tcp://127.0.0.1:{port}",
            stop: () => process.StopAsync(Posix.SIGTERM, TimeSpan.FromSeconds(10)),
            processId: process.Id);
    }

    private static async Task SwitchOnAppendOnlyFileAsync(string connectionString)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AllowAdmin = true;
        await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
        await connection.GetServers()[0].ConfigSetAsync("appendonly", "yes");
    }

    /// <summary>Sends PING until Redis answers, the process dies, or the timeout passes.</summary>
    public static async Task WaitUntilAnswersAsync(string connectionString, ChildProcess? process, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 1000;
        var deadline = DateTime.UtcNow + ReadyTimeout;
        string lastError = "";
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"redis-server exited with code {process.ExitCode}: {process.RecentOutput}");
            }

            try
            {
                await using var connection = await ConnectionMultiplexer.ConnectAsync(options);
                await connection.GetDatabase().PingAsync();
                return;
            }
            catch (RedisException exception)
            {
                lastError = exception.Message;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"Redis did not answer PING within {ReadyTimeout.TotalSeconds:0} s: {lastError}");
    }

    /// <summary>A server left by an AppHost that was killed would hold the data folder; stop it first.</summary>
    private static async Task StopLeftoverAsync(string pidFile)
    {
        if (!File.Exists(pidFile) || !int.TryParse((await File.ReadAllTextAsync(pidFile)).Trim(), out var pid))
        {
            return;
        }

        if (Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains("redis-server", StringComparison.Ordinal))
        {
            Posix.Signal(pid, Posix.SIGTERM);
            await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(10));
        }
    }
}
