using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Fleet.AppHost;

/// <summary>
/// Redis and PostgreSQL for the app model. With a container engine (and always when publishing) they are Aspire's own
/// <c>AddRedis</c> / <c>AddPostgres</c> containers; without one (<c>Fleet:BackingServices</c> = <c>auto</c> finds none, or
/// <c>local</c>) the same resource names run Debian's binaries under DCP with their data in the state folder. What Aspire
/// lacks here is only that second path: an executable resource with a connection string, a health check, and the
/// PostgreSQL database created once the server is ready.
/// </summary>
public static class BackingServices
{
    /// <summary>
    /// Telemetry is insert-heavy: a day's partition soon outgrows 128 MB of shared buffers, 1 GB of WAL between checkpoints
    /// forces one every few minutes of ingest, and zero-filling each new WAL file held COMMITs for 0.3-0.9 s.
    /// </summary>
    public static readonly string[] PostgresIngestSettings =
        ["-c", "shared_buffers=1GB", "-c", "max_wal_size=8GB", "-c", "checkpoint_timeout=15min", "-c", "wal_init_zero=off", "-c", "max_connections=300"];

    /// <summary>WAL files of 256 MB: creating one syncs it while COMMITs wait, which at 16 MB happened several times a minute.</summary>
    public const string PostgresInitArguments = "--wal-segsize=256";

    public const string InstallHint = "Install the servers (`sudo apt-get install -y postgresql redis-server mosquitto`) or start Docker/Podman.";

    public static bool UseContainers(IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return true;
        }

        return builder.Configuration[AppHostCommandLine.BackingServicesKey]?.ToLowerInvariant() switch
        {
            null or "" or "auto" => ContainerEngineAnswers(),
            "container" => true,
            "local" => false,
            var other => throw new AppHostUsageException($"{AppHostCommandLine.BackingServicesKey} must be auto, local or container; got '{other}'."),
        };
    }

    public static IResourceBuilder<IResourceWithConnectionString> AddFleetRedis(this IDistributedApplicationBuilder builder, string name, bool containers)
    {
        if (containers)
        {
            return builder.AddRedis(name).WithDataVolume().WithPersistence(TimeSpan.FromSeconds(60), 1).WithArgs(WithAppendOnlyFile);
        }

        var redisServer = FindRedisServer(builder.Configuration["Fleet:Redis:BinDirectory"]) ?? throw new AppHostUsageException($"redis-server was not found and no container engine answers. {InstallHint}");
        var dataDirectory = Path.Combine(StateFolder.Of(builder), name);
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var redis = new LocalRedisResource(name, redisServer, dataDirectory, password);
        var databases = builder.Configuration.GetValue("Fleet:Redis:Databases", 16);

        string? connectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(redis, async (_, cancellationToken) =>
            connectionString = await ((IResourceWithConnectionString)redis).GetConnectionStringAsync(cancellationToken));
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(redis, async (_, cancellationToken) =>
            await redis.WriteConfigurationAsync(databases, cancellationToken));
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().AddRedis(_ => connectionString ?? throw new InvalidOperationException($"{name} has no connection string yet."), healthCheck);

        return builder.AddResource(redis)
            .WithEndpoint(LocalRedisResource.EndpointName, endpoint =>
            {
                endpoint.UriScheme = "tcp";
                endpoint.IsProxied = false;
            })
            .WithArgs(context =>
            {
                context.Args.Add(redis.ConfigurationFile);
                context.Args.Add("--port");
                context.Args.Add(redis.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .WithHealthCheck(healthCheck);
    }

    /// <summary>A PostgreSQL server named <paramref name="serverName"/> and its database <paramref name="databaseName"/>, which references use.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddFleetPostgresDatabase(
        this IDistributedApplicationBuilder builder, string serverName, string databaseName, bool containers)
    {
        if (containers)
        {
            return builder.AddPostgres(serverName)
                .WithDataVolume()
                .WithEnvironment("POSTGRES_INITDB_ARGS", PostgresInitArguments)
                .WithArgs(PostgresIngestSettings)
                .AddDatabase(databaseName);
        }

        var binDirectory = FindPostgresBinDirectory(builder.Configuration["Fleet:Postgres:BinDirectory"])
            ?? throw new AppHostUsageException($"PostgreSQL's initdb and postgres were not found (PATH, /usr/lib/postgresql/*/bin) and no container engine answers. {InstallHint}");
        var account = Environment.UserName == "root" ? UnixAccount.Find(builder.Configuration["Fleet:Postgres:RunAsUser"] ?? (UnixAccount.Exists("postgres") ? "postgres" : "nobody")) : null;
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{serverName}-password", special: false);
        var root = LocalPostgresServerResource.ReachableRoot(Path.Combine(StateFolder.Of(builder), serverName), account);
        var server = new LocalPostgresServerResource(serverName, root, binDirectory, account, password);
        var database = new LocalPostgresDatabaseResource(databaseName, databaseName, server);

        string? databaseConnectionString = null;
        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(server, async (_, cancellationToken) =>
        {
                        // Unpooled: after a crash a pooled probe would first fail on a dead connection and hold readiness back.
            databaseConnectionString = new NpgsqlConnectionStringBuilder(await ((IResourceWithConnectionString)database).GetConnectionStringAsync(cancellationToken))
            {
                Pooling = false,
            }.ConnectionString;
        });
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(server, async (@event, cancellationToken) =>
        {
            try
            {
                await server.PrepareAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                FailApp(@event.Services, $"PostgreSQL could not be prepared in {server.Root}: {exception.Message}");
                throw;
            }
        });
        builder.Eventing.Subscribe<ResourceReadyEvent>(server, async (@event, cancellationToken) =>
        {
            await server.EnsurePasswordAndDatabaseAsync(databaseName, cancellationToken);
            await @event.Services.GetRequiredService<ResourceNotificationService>()
                .PublishUpdateAsync(database, snapshot => snapshot with { State = KnownResourceStates.Running });
        });

        // The server answers on its private socket before the password is set; the database's check goes over TCP with it.
        var serverCheck = $"{serverName}_check";
        var databaseCheck = $"{databaseName}_check";
        builder.Services.AddHealthChecks()
            .AddNpgSql(_ => server.SocketConnectionString, name: serverCheck)
            .AddNpgSql(_ => databaseConnectionString ?? throw new InvalidOperationException($"{databaseName} has no connection string yet."), name: databaseCheck);

        var serverBuilder = builder.AddResource(server)
            .WithEndpoint(LocalPostgresServerResource.EndpointName, endpoint =>
            {
                endpoint.UriScheme = "tcp";
                endpoint.IsProxied = false;
            })
            .WithEnvironment(context => context.EnvironmentVariables["PGPORT"] = server.Endpoint.Property(EndpointProperty.TargetPort))
            .WithArgs("-c", server.StartScript())
            .WithHealthCheck(serverCheck);
        return builder.AddResource(database)
            .WithInitialState(new CustomResourceSnapshot { ResourceType = "PostgresDatabase", State = KnownResourceStates.Waiting, Properties = [] })
            .WithHealthCheck(databaseCheck)
            .WithParentRelationship(serverBuilder);
    }

    /// <summary>
    /// Aspire's Redis container snapshots only; the telemetry log needs the append-only file too. Run mode passes
    /// redis-server's arguments one by one, publish mode as one <c>/bin/sh -c</c> string: extend whichever it is.
    /// </summary>
    private static void WithAppendOnlyFile(CommandLineArgsCallbackContext context)
    {
        string[] appendOnly = ["--appendonly", "yes", "--appendfsync", "everysec", "--auto-aof-rewrite-min-size", "512mb"];
        var script = context.Args.IndexOf("-c");
        if (script >= 0 && script + 1 < context.Args.Count && context.Args[script + 1] is string command)
        {
            context.Args[script + 1] = $"{command} {string.Join(' ', appendOnly)}";
            return;
        }

        foreach (var argument in appendOnly)
        {
            context.Args.Add(argument);
        }
    }

    /// <summary>Prints why the app cannot run and stops it with exit code 1, instead of leaving dependants waiting forever.</summary>
    internal static void FailApp(IServiceProvider services, string message)
    {
        Console.Error.WriteLine($"Fleet.AppHost: {message}");
        Environment.ExitCode = 1;
        services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
    }

    private static bool ContainerEngineAnswers()
    {
        foreach (var cli in new[] { "docker", "podman" })
        {
            if (FindOnPath(cli) is null)
            {
                continue;
            }

            using var process = Process.Start(new ProcessStartInfo(cli, "info") { RedirectStandardOutput = true, RedirectStandardError = true })!;
            process.StandardOutput.ReadToEndAsync();
            process.StandardError.ReadToEndAsync();
            if (process.WaitForExit(TimeSpan.FromSeconds(10)) && process.ExitCode == 0)
            {
                return true;
            }

            process.Kill(entireProcessTree: true);
        }

        return false;
    }

    internal static string? FindRedisServer(string? configured) =>
        configured is null ? FindOnPath("redis-server") : File.Exists(Path.Combine(configured, "redis-server")) ? Path.Combine(configured, "redis-server") : null;

    internal static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/bin", "/usr/local/bin"])
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);

    /// <summary>The folder holding initdb and postgres: the configured one, PATH, then the newest /usr/lib/postgresql/N/bin.</summary>
    internal static string? FindPostgresBinDirectory(string? configured)
    {
        static bool Holds(string? directory) => directory is not null && File.Exists(Path.Combine(directory, "initdb")) && File.Exists(Path.Combine(directory, "postgres"));
        if (configured is not null)
        {
            return Holds(configured) ? configured : null;
        }

        var onPath = Path.GetDirectoryName(FindOnPath("initdb") ?? "");
        if (Holds(onPath))
        {
            return onPath;
        }

        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(directory => Path.Combine(directory, "bin"))
                .Where(Holds)
                .OrderByDescending(directory => int.TryParse(Path.GetFileName(Path.GetDirectoryName(directory)), out var version) ? version : 0)
                .FirstOrDefault()
            : null;
    }
}

/// <summary>redis-server under DCP; its password and persistence settings live in a config file only its owner reads.</summary>
public sealed class LocalRedisResource(string name, string command, string dataDirectory, ParameterResource password)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";

    public ParameterResource Password { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public string ConfigurationFile => Path.Combine(DataDirectory, "redis.conf");

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"127.0.0.1:{Endpoint.Property(EndpointProperty.Port)},password={Password}");

    internal async Task WriteConfigurationAsync(int databases, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        // An append-only file flushed every second keeps what was acknowledged into the telemetry log across a Redis restart.
        // Redis started with it switched on ignores a snapshot found without one, so a folder from before keeps its snapshot.
        var fromSnapshot = File.Exists(Path.Combine(DataDirectory, "dump.rdb")) && !Directory.Exists(Path.Combine(DataDirectory, "appendonlydir"));
        string[] lines =
        [
            "bind 127.0.0.1 -::1",
            $"dir {DataDirectory}",
            "save 60 1",
            $"appendonly {(fromSnapshot ? "no" : "yes")}",
            "appendfsync everysec",
            // The telemetry log's entries come and go, so rewriting the file at the default 64 MB forked Redis every few seconds.
            "auto-aof-rewrite-min-size 512mb",
            "logfile \"\"",
            $"requirepass {await Password.GetValueAsync(cancellationToken)}",
            $"databases {databases}",
        ];
        await OwnerOnly.WriteLinesAsync(ConfigurationFile, lines, cancellationToken);
    }
}

/// <summary>
/// postgres under DCP. initdb refuses root, so as root both run as an unprivileged account through setpriv; a small shell
/// turns DCP's SIGTERM into SIGINT, PostgreSQL's fast shutdown, so a stopping app never leaves it to crash recovery.
/// </summary>
public sealed class LocalPostgresServerResource(string name, string root, string binDirectory, UnixAccount? account, ParameterResource password)
    : ExecutableResource(name, "/bin/sh", root), IResourceWithConnectionString
{
    public const string EndpointName = "tcp";
    public const string Superuser = "postgres";

    public ParameterResource Password { get; } = password;

    /// <summary>The state folder's copy, or a folder under /var/tmp when the unprivileged account cannot reach that one.</summary>
    public string Root { get; } = root;

    public string DataDirectory => Path.Combine(Root, "data");

    public string SocketDirectory => Path.Combine(Root, "sockets");

    public EndpointReference Endpoint => new(this, EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username={Superuser};Password={Password}");

    /// <summary>Local connections on the owner-only socket folder need no password (initdb's --auth-local=trust).</summary>
    internal string SocketConnectionString =>
        new NpgsqlConnectionStringBuilder { Host = SocketDirectory, Port = Endpoint.TargetPort ?? 5432, Username = Superuser, Pooling = false, Timeout = 3 }.ConnectionString;

    internal string StartScript()
    {
        string[] server = [.. AsAccount(Path.Combine(binDirectory, "postgres")), "-D", DataDirectory, "-k", SocketDirectory,
            "-c", "listen_addresses=127.0.0.1", "-c", "logging_collector=off", .. BackingServices.PostgresIngestSettings];
        return $"""
            trap 'kill -INT "$pid" 2>/dev/null' TERM INT
            {string.Join(' ', server.Select(Quote))} &
            pid=$!
            wait "$pid"; status=$?
            if kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; fi
            exit $status
            """;
    }

    internal async Task PrepareAsync(CancellationToken cancellationToken)
    {
        await StopLeftoverAsync();
        Directory.CreateDirectory(SocketDirectory);
        if (account is not null)
        {
            Own(SocketDirectory, account);
        }

        File.SetUnixFileMode(SocketDirectory, OwnerOnly.FolderPermissions);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        await RunAsync(AsAccount(Path.Combine(binDirectory, "initdb")).Concat(
            ["-D", DataDirectory, "-U", Superuser, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync", BackingServices.PostgresInitArguments]),
            cancellationToken);
    }

    /// <summary>Sets the superuser's password from the parameter (it may have been regenerated) and creates the database once.</summary>
    internal async Task EnsurePasswordAndDatabaseAsync(string databaseName, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(SocketConnectionString);
        await connection.OpenAsync(cancellationToken);
        var secret = (await Password.GetValueAsync(cancellationToken) ?? "").Replace("'", "''", StringComparison.Ordinal);
        await using (var alter = new NpgsqlCommand($"ALTER ROLE {Superuser} PASSWORD '{secret}'", connection))
        {
            await alter.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = databaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{databaseName.Replace("\"", "", StringComparison.Ordinal)}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private IEnumerable<string> AsAccount(string program) =>
        account is null ? [program] : ["setpriv", $"--reuid={account.Uid}", $"--regid={account.Gid}", "--clear-groups", "--", program];

    /// <summary>
    /// <paramref name="root"/>, owned by the account, when the account can write there; else a folder under /var/tmp, stable
    /// per state folder (a parent such as /root, or a 0700 temporary folder, keeps the account out).
    /// </summary>
    internal static string ReachableRoot(string root, UnixAccount? account)
    {
        Directory.CreateDirectory(root);
        if (account is null)
        {
            return root;
        }

        Own(root, account);
        using var probe = Process.Start("setpriv", [$"--reuid={account.Uid}", $"--regid={account.Gid}", "--clear-groups", "--", "test", "-w", root])!;
        probe.WaitForExit();
        if (probe.ExitCode == 0)
        {
            return root;
        }

        var fallback = Path.Combine("/var/tmp", $"fleet-postgres-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(root)))[..12]}");
        Directory.CreateDirectory(fallback);
        Own(fallback, account);
        return fallback;
    }

    private static void Own(string path, UnixAccount account)
    {
        using var chown = Process.Start("chown", [$"{account.Uid}:{account.Gid}", path])!;
        chown.WaitForExit();
        if (chown.ExitCode != 0)
        {
            throw new AppHostUsageException($"chown of {path} to {account.Name} failed; PostgreSQL cannot keep its data there.");
        }
    }

    /// <summary>A postmaster left by an AppHost that was killed holds the data folder; stop it first.</summary>
    private async Task StopLeftoverAsync()
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid)
            && File.Exists($"/proc/{pid}/cmdline") && (await File.ReadAllTextAsync($"/proc/{pid}/cmdline")).Contains("postgres", StringComparison.Ordinal))
        {
            using var leftover = Process.GetProcessById(pid);
            await RunAsync(["kill", "-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None);
            await leftover.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token);
        }
    }

    private static async Task RunAsync(IEnumerable<string> command, CancellationToken cancellationToken)
    {
        var list = command.ToList();
        var (exitCode, output) = await ExecuteAsync(list, cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(list.Last(part => !part.StartsWith('-')))} failed with code {exitCode}: {output.Trim()}");
        }
    }

    private static async Task<(int ExitCode, string Output)> ExecuteAsync(IEnumerable<string> command, CancellationToken cancellationToken)
    {
        var list = command.ToList();
        var startInfo = new ProcessStartInfo(list[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in list.Skip(1))
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await output + await error);
    }

    private static string Quote(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}

/// <summary>The database on a local server; the AppHost gives it its state, which DCP gives only to containers' children.</summary>
public sealed class LocalPostgresDatabaseResource(string name, string databaseName, LocalPostgresServerResource server)
    : Resource(name), IResourceWithParent<LocalPostgresServerResource>, IResourceWithConnectionString
{
    public string DatabaseName { get; } = databaseName;

    public LocalPostgresServerResource Parent { get; } = server;

    public ReferenceExpression ConnectionStringExpression => ReferenceExpression.Create($"{Parent};Database={DatabaseName}");
}

/// <summary>A user from /etc/passwd that PostgreSQL runs as when the AppHost is root.</summary>
public sealed record UnixAccount(string Name, int Uid, int Gid)
{
    public static bool Exists(string name) => TryFind(name) is not null;

    public static UnixAccount Find(string name) =>
        TryFind(name) ?? throw new AppHostUsageException($"user '{name}' does not exist; PostgreSQL cannot run as root. Set Fleet:Postgres:RunAsUser to an unprivileged user.");

    private static UnixAccount? TryFind(string name) =>
        File.ReadLines("/etc/passwd")
            .Select(line => line.Split(':'))
            .Where(fields => fields.Length >= 4 && fields[0] == name)
            .Select(fields => new UnixAccount(fields[0], int.Parse(fields[2], System.Globalization.CultureInfo.InvariantCulture), int.Parse(fields[3], System.Globalization.CultureInfo.InvariantCulture)))
            .FirstOrDefault();
}
