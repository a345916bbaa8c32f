using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The hand-made counterpart of Aspire's Npgsql EF Core integration: reads <c>ConnectionStrings:{name}</c>,
/// registers a pooled DbContext on one shared <see cref="NpgsqlDataSource"/>, a readiness check that
/// runs <c>SELECT 1</c>, and Npgsql's tracing.
/// </summary>
public static class NpgsqlDbContextExtensions
{
    public static IHostApplicationBuilder AddNpgsqlDbContext<TContext>(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<NpgsqlDbContextOptionsBuilder>? configureNpgsql = null,
        Action<DbContextOptionsBuilder>? configureOptions = null)
        where TContext : DbContext
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. Run the app through Fleet.AppHost, or set ConnectionStrings__{connectionName}.");

        builder.Services.AddSingleton(services => new NpgsqlDataSourceBuilder(connectionString)
            .UseLoggerFactory(services.GetRequiredService<Microsoft.Extensions.Logging.ILoggerFactory>())
            .Build());
        builder.Services.AddDbContextPool<TContext>((services, options) =>
        {
            options.UseNpgsql(services.GetRequiredService<NpgsqlDataSource>(), npgsql =>
            {
                npgsql.EnableRetryOnFailure();
                configureNpgsql?.Invoke(npgsql);
            });
            configureOptions?.Invoke(options);
        });

        builder.Services.AddHealthChecks().AddCheck<NpgsqlHealthCheck>(connectionName);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());
        return builder;
    }
}

/// <summary>
/// <c>SELECT 1</c> straight on the data source, bounded in time: EF's retry-on-failure policy would make a
/// probe against a database that is down hang for a minute instead of failing fast.
/// </summary>
internal sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public async Task<HealthCheckResult> CheckHealthAsync(
        HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return HealthCheckResult.Healthy();
        }
        catch (Exception exception) when (exception is NpgsqlException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return HealthCheckResult.Unhealthy("PostgreSQL does not answer SELECT 1", exception);
        }
    }
}
