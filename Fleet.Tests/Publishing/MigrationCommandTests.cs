using System.Diagnostics;
using System.Reflection;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Publishing;

/// <summary>The API image's one-shot modes the Kustomize tree runs: the migrations Job and each replica's init container.</summary>
public sealed class MigrationCommandTests(BackingServers servers)
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Replicas_wait_for_the_migrations_job_and_never_migrate_themselves()
    {
        var database = await servers.CreateDatabaseAsync("migrate", Cancellation);

        var waitingOnEmpty = await RunApiAsync(database, "--wait-for-migrations");
        waitingOnEmpty.ExitCode.ShouldBe(1, waitingOnEmpty.Output);
        (await Sql.ScalarAsync<bool>(database, "SELECT to_regclass('public.\"__EFMigrationsHistory\"') IS NOT NULL", Cancellation)).ShouldBeFalse("waiting must not create the schema");

        var job = await RunApiAsync(database, "--migrate");
        job.ExitCode.ShouldBe(0, job.Output);
        (await Sql.ScalarAsync<long>(database, "SELECT count(*) FROM \"__EFMigrationsHistory\"", Cancellation)).ShouldBeGreaterThan(0);

        var waitingOnCurrent = await RunApiAsync(database, "--wait-for-migrations");
        waitingOnCurrent.ExitCode.ShouldBe(0, waitingOnCurrent.Output);
    }

    private async Task<(int ExitCode, string Output)> RunApiAsync(string database, string mode)
    {
        var configuration = typeof(MigrationCommandTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var apiDll = Path.Combine(Fleet.AppHost.StateFolder.FindRepositoryRoot(), "Fleet.Api", "bin", configuration, "net10.0", "Fleet.Api.dll");
        var startInfo = new ProcessStartInfo("dotnet", [apiDll, mode])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.Environment["ConnectionStrings__fleetdb"] = database;
        startInfo.Environment["ConnectionStrings__cache"] = servers.RedisConnectionString;
        startInfo.Environment["Fleet__MigrationTimeout"] = "00:00:03";
        startInfo.Environment["OTEL_SDK_DISABLED"] = "true";
        using var process = Process.Start(startInfo)!;
        var output = process.StandardOutput.ReadToEndAsync(Cancellation);
        var error = process.StandardError.ReadToEndAsync(Cancellation);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Cancellation);
        deadline.CancelAfter(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(deadline.Token);
        return (process.ExitCode, await output + await error);
    }
}
