using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenTelemetry.Trace;
using StackExchange.Redis;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// The hand-made counterpart of Aspire's StackExchange.Redis integration: reads
/// <c>ConnectionStrings:{name}</c>, registers one shared <see cref="IConnectionMultiplexer"/>,
/// a readiness check that sends PING, and tracing of every command.
/// </summary>
public static class RedisClientExtensions
{
    public static IHostApplicationBuilder AddRedisClient(this IHostApplicationBuilder builder, string connectionName)
    {
        var connectionString = builder.Configuration.GetConnectionString(connectionName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{connectionName} is not set. Run the app through Fleet.AppHost, or set ConnectionStrings__{connectionName}.");

        var options = ConfigurationOptions.Parse(connectionString);
        // Start even when Redis is not up yet; the health check reports it and the client reconnects.
        options.AbortOnConnectFail = false;

        builder.Services.AddSingleton<RedisTracing>();
        builder.Services.AddSingleton<IConnectionMultiplexer>(services =>
        {
            var connection = ConnectionMultiplexer.Connect(options);
            services.GetRequiredService<RedisTracing>().Attach(connection);
            return connection;
        });

        builder.Services.AddHealthChecks().AddCheck<RedisHealthCheck>(connectionName, HealthStatus.Unhealthy);
        builder.Services.AddOpenTelemetry().WithTracing(tracing => tracing.AddSource(RedisTracing.ActivitySourceName));
        return builder;
    }

    private sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
    {
        // A readiness probe must answer quickly when Redis is gone, not after the client's own 5 s timeout.
        private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(2);

        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            try
            {
                var latency = await redis.GetDatabase().PingAsync().WaitAsync(PingTimeout, cancellationToken);
                return HealthCheckResult.Healthy($"PING {latency.TotalMilliseconds:0.0} ms");
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                return HealthCheckResult.Unhealthy("Redis does not answer PING", exception);
            }
        }
    }
}
