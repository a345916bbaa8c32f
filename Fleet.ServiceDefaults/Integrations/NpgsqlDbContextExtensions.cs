using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The hand-made counterpart of Aspire's Npgsql EF Core integration: reads <c>ConnectionStrings:{name}</c>,
/// registers a pooled DbContext on one shared <see cref="NpgsqlDataSource"/>, a readiness check that
/// opens a connection, and Npgsql's tracing.
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

        builder.Services.AddHealthChecks().AddDbContextCheck<TContext>(connectionName);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddNpgsql());
        return builder;
    }
}
