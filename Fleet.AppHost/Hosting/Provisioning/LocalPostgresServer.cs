using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Fleet.AppHost.Hosting.Provisioning;

/// <param name="DataDirectory">Folder that holds the cluster (created by initdb on the first run).</param>
/// <param name="Password">The superuser's password; must stay the same across runs on the same data.</param>
/// <param name="RunAsUser">Unprivileged user that owns the cluster when the AppHost runs as root; default <c>postgres</c>, else <c>nobody</c>.</param>
/// <param name="BinDirectory">Where initdb and postgres are; null searches PATH and /usr/lib/postgresql/*/bin.</param>
public sealed record LocalPostgresOptions(string DataDirectory, string Password, int? PreferredPort = null, string? RunAsUser = null, string? BinDirectory = null);

/// <summary>
/// Runs PostgreSQL from the local binaries (<c>initdb</c> once, then <c>postgres</c> as a child process).
/// initdb and postgres refuse to run as root, so as root both run as an unprivileged user through setpriv.
/// </summary>
public static class LocalPostgresServer
{
    public const string Superuser = "postgres";
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Telemetry is insert-heavy: a day's partition and its key index soon outgrow the default 128 MB of shared buffers,
    /// and then every COPY evicts dirty pages itself; with the default 1 GB of WAL between checkpoints, a few minutes of
    /// ingest force a checkpoint and the full-page images that follow it. Until its first checkpoint recycles WAL files,
    /// a new server creates WAL files as it goes, and zero-filling and syncing one held every COMMIT for 0.3–0.9 s;
    /// WAL records carry their own checks, so the zeroes add no safety (wal_init_zero=off).
    /// </summary>
    private static readonly string[] IngestSettings =
        ["-c", "shared_buffers=1GB", "-c", "max_wal_size=8GB", "-c", "checkpoint_timeout=15min", "-c", "wal_init_zero=off"];

    public static bool IsAvailable(string? binDirectory) => ServerBinaries.FindPostgresBinDirectory(binDirectory) is not null;

    public static async Task<RunningServer> StartAsync(LocalPostgresOptions options, Action<string, bool>? onLine, CancellationToken cancellationToken)
    {
        var binDirectory = ServerBinaries.FindPostgresBinDirectory(options.BinDirectory)
            ?? throw new BackingServiceUnavailableException("PostgreSQL's initdb/postgres were not found on PATH or in /usr/lib/postgresql/*/bin. " + ServerBinaries.InstallHint);

        var account = Posix.IsRoot ? UnixAccount.Find(options.RunAsUser ?? (UnixAccount.Exists("postgres") ? "postgres" : "nobody")) : null;
        var root = await PrepareRootAsync(Path.GetFullPath(options.DataDirectory), account, cancellationToken);
        var dataDirectory = Path.Combine(root, "data");

        await StopLeftoverAsync(dataDirectory);
        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            await InitializeClusterAsync(binDirectory, root, dataDirectory, options.Password, account, cancellationToken);
        }

        var port = PortAllocator.Choose(options.PreferredPort);
        var (program, arguments) = AsAccount(account, Path.Combine(binDirectory, "postgres"),
            ["-D", dataDirectory, "-p", port.ToString(), "-c", "listen_addresses=127.0.0.1", "-k", "", "-c", "logging_collector=off", "-c", "max_connections=300", .. IngestSettings]);
        var process = ChildProcess.Start(new ChildProcessSpec(program, arguments, root), onLine);

        var connectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = Superuser,
            Password = options.Password,
        }.ConnectionString;
        try
        {
            await WaitUntilAnswersAsync(connectionString, process, dataDirectory, cancellationToken);
        }
        catch
        {
            await process.StopAsync(Posix.SIGINT, TimeSpan.FromSeconds(10));
            throw;
        }

        // SIGINT is PostgreSQL's "fast" shutdown: roll back open transactions, checkpoint, exit.
        return new RunningServer(
            ProvisioningMode.Local,
            connectionString,
            $"tcp://127.0.0.1:{port}",
            stop: () => process.StopAsync(Posix.SIGINT, TimeSpan.FromSeconds(20)),
            processId: process.Id);
    }

    /// <summary>Creates <paramref name="databaseName"/> unless it exists.</summary>
    public static async Task EnsureDatabaseAsync(string serverConnectionString, string databaseName, CancellationToken cancellationToken)
    {
        if (!IsPlainIdentifier(databaseName))
        {
            throw new ArgumentException($"'{databaseName}' is not a plain database name (lower-case letters, digits, underscores).", nameof(databaseName));
        }

        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @name", connection);
        exists.Parameters.AddWithValue("name", databaseName);
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return;
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE \"{databaseName}\"", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            // Another caller created it between the check and the create: the outcome is the same.
        }
    }

    public static async Task WaitUntilAnswersAsync(string connectionString, ChildProcess? process, string? dataDirectory, CancellationToken cancellationToken)
    {
        var probe = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, Timeout = 2 }.ConnectionString;
        var deadline = DateTime.UtcNow + ReadyTimeout;
        var lastError = "";
        while (DateTime.UtcNow < deadline)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"postgres exited with code {process.ExitCode}: {process.RecentOutput}");
            }

            try
            {
                await using var connection = new NpgsqlConnection(probe);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT 1", connection);
                await command.ExecuteScalarAsync(cancellationToken);
                return;
            }
            catch (PostgresException exception) when (exception.SqlState == PostgresErrorCodes.InvalidPassword)
            {
                throw new BackingServiceUnavailableException(
                    $"PostgreSQL in {dataDirectory} was initialised with another password than the one in the state folder's secrets. " +
                    "Delete that data folder to start afresh, or restore the secret.");
            }
            catch (NpgsqlException exception)
            {
                lastError = exception.Message;
            }

            await Task.Delay(100, cancellationToken);
        }

        throw new TimeoutException($"PostgreSQL did not answer within {ReadyTimeout.TotalSeconds:0} s: {lastError}");
    }

    private static async Task<string> PrepareRootAsync(string root, UnixAccount? account, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(root);
        if (account is null)
        {
            return root;
        }

        await RunCheckedAsync("chown", [$"{account.Uid}:{account.Gid}", root], cancellationToken);
        var (reachable, _) = await ChildProcess.RunAsync("setpriv", [.. account.SetprivArguments, "--", "test", "-w", root], TimeSpan.FromSeconds(5), cancellationToken);
        if (reachable == 0)
        {
            return root;
        }

        // A parent folder (e.g. /root) keeps the unprivileged user out; keep the cluster where it can live, stable per state folder.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12];
        var fallback = Path.Combine("/var/tmp", $"fleet-postgres-{hash}");
        Directory.CreateDirectory(fallback);
        await RunCheckedAsync("chown", [$"{account.Uid}:{account.Gid}", fallback], cancellationToken);
        return fallback;
    }

    private static async Task InitializeClusterAsync(string binDirectory, string root, string dataDirectory, string password, UnixAccount? account, CancellationToken cancellationToken)
    {
        var passwordFile = Path.Combine(root, "initdb.pw");
        await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
        File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            if (account is not null)
            {
                await RunCheckedAsync("chown", [$"{account.Uid}:{account.Gid}", passwordFile], cancellationToken);
            }

            // WAL files of 256 MB, not 16: a new file's creation syncs it and its folder while COMMITs wait, which under
            // ingest happened several times a minute and held both writer lanes for up to 0.2 s each time.
            var (program, arguments) = AsAccount(account, Path.Combine(binDirectory, "initdb"),
                ["-D", dataDirectory, "-U", Superuser, "--auth=scram-sha-256", $"--pwfile={passwordFile}", "-E", "UTF8", "--no-locale", "--no-sync", "--wal-segsize=256"]);
            var (exitCode, output) = await ChildProcess.RunAsync(program, arguments, TimeSpan.FromMinutes(2), cancellationToken, root);
            if (exitCode != 0)
            {
                throw new InvalidOperationException($"initdb failed with code {exitCode}: {output}");
            }
        }
        finally
        {
            File.Delete(passwordFile);
        }
    }

    /// <summary>A postmaster left by an AppHost that was killed would hold the data folder; stop it first.</summary>
    private static async Task StopLeftoverAsync(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return;
        }

        var firstLine = (await File.ReadAllLinesAsync(pidFile)).FirstOrDefault();
        if (int.TryParse(firstLine, out var pid) && Posix.IsAlive(pid) && Posix.CommandLine(pid).Contains("postgres", StringComparison.Ordinal))
        {
            Posix.Signal(pid, Posix.SIGINT);
            await Posix.WaitForExitAsync(pid, TimeSpan.FromSeconds(20));
        }
    }

    private static (string Program, IReadOnlyList<string> Arguments) AsAccount(UnixAccount? account, string program, IReadOnlyList<string> arguments) =>
        account is null ? (program, arguments) : ("setpriv", [.. account.SetprivArguments, "--", program, .. arguments]);

    private static async Task RunCheckedAsync(string program, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var (exitCode, output) = await ChildProcess.RunAsync(program, arguments, TimeSpan.FromSeconds(30), cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', arguments)} failed with code {exitCode}: {output}");
        }
    }

    private static bool IsPlainIdentifier(string name) =>
        name.Length is > 0 and <= 63 && (char.IsAsciiLetterLower(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_');
}

/// <summary>A user from /etc/passwd, and the setpriv arguments that switch to it.</summary>
public sealed record UnixAccount(string Name, int Uid, int Gid)
{
    public IReadOnlyList<string> SetprivArguments => [$"--reuid={Uid}", $"--regid={Gid}", "--clear-groups"];

    public static bool Exists(string name) => TryFind(name) is not null;

    public static UnixAccount Find(string name) =>
        TryFind(name) ?? throw new BackingServiceUnavailableException($"User '{name}' does not exist; PostgreSQL cannot run as root. Set Fleet:Postgres:RunAsUser to an unprivileged user.");

    private static UnixAccount? TryFind(string name) =>
        File.ReadLines("/etc/passwd")
            .Select(line => line.Split(':'))
            .Where(fields => fields.Length >= 4 && fields[0] == name)
            .Select(fields => new UnixAccount(fields[0], int.Parse(fields[2]), int.Parse(fields[3])))
            .FirstOrDefault();
}
