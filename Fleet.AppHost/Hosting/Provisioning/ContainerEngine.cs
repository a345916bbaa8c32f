namespace Fleet.AppHost.Hosting.Provisioning;

/// <summary>
/// Docker or Podman, when one answers <c>info</c>. Backing servers then run as containers with their data
/// in a bind-mounted folder of the state folder, published on a loopback port.
/// </summary>
public sealed class ContainerEngine(string cli)
{
    public string Cli { get; } = cli;

    public static async Task<ContainerEngine?> DetectAsync(CancellationToken cancellationToken)
    {
        foreach (var cli in new[] { "docker", "podman" })
        {
            if (ServerBinaries.FindOnPath(cli) is null)
            {
                continue;
            }

            var (exitCode, _) = await ChildProcess.RunAsync(cli, ["info"], TimeSpan.FromSeconds(10), cancellationToken);
            if (exitCode == 0)
            {
                return new ContainerEngine(cli);
            }
        }

        return null;
    }

    public async Task<RunningServer> StartRedisAsync(string containerName, LocalRedisOptions options, CancellationToken cancellationToken)
    {
        var port = PortAllocator.Choose(options.PreferredPort);
        Directory.CreateDirectory(options.DataDirectory);
        await RunContainerAsync(containerName, port, 6379, options.DataDirectory, "/data", [],
            [Publishing.BackingImages.Redis, "redis-server", "--requirepass", options.Password, "--save", "60 1", "--appendonly", "yes"], cancellationToken);
        var connectionString = $"127.0.0.1:{port},password={options.Password}";
        await LocalRedisServer.WaitUntilAnswersAsync(connectionString, null, cancellationToken);
        return new RunningServer(ProvisioningMode.Container, connectionString, $"tcp://127.0.0.1:{port}", () => RemoveAsync(containerName));
    }

    public async Task<RunningServer> StartPostgresAsync(string containerName, LocalPostgresOptions options, CancellationToken cancellationToken)
    {
        var port = PortAllocator.Choose(options.PreferredPort);
        Directory.CreateDirectory(options.DataDirectory);
        await RunContainerAsync(containerName, port, 5432, options.DataDirectory, "/var/lib/postgresql/data",
            ["-e", $"POSTGRES_PASSWORD={options.Password}", "-e", "POSTGRES_USER=postgres"],
            [Publishing.BackingImages.Postgres], cancellationToken);
        var connectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Password={options.Password}";
        await LocalPostgresServer.WaitUntilAnswersAsync(connectionString, null, options.DataDirectory, cancellationToken);
        return new RunningServer(ProvisioningMode.Container, connectionString, $"tcp://127.0.0.1:{port}", () => RemoveAsync(containerName));
    }

    private async Task RunContainerAsync(
        string name, int hostPort, int containerPort, string dataDirectory, string mountTarget,
        IReadOnlyList<string> environment, IReadOnlyList<string> imageAndCommand, CancellationToken cancellationToken)
    {
        await RemoveAsync(name);
        var (exitCode, output) = await ChildProcess.RunAsync(Cli,
            ["run", "-d", "--name", name, "-p", $"127.0.0.1:{hostPort}:{containerPort}", "-v", $"{Path.GetFullPath(dataDirectory)}:{mountTarget}", .. environment, .. imageAndCommand],
            TimeSpan.FromMinutes(5), cancellationToken);
        if (exitCode != 0)
        {
            throw new BackingServiceUnavailableException($"{Cli} run {name} failed ({exitCode}): {output}");
        }
    }

    private async Task RemoveAsync(string name) =>
        await ChildProcess.RunAsync(Cli, ["rm", "-f", name], TimeSpan.FromSeconds(30), CancellationToken.None);
}
