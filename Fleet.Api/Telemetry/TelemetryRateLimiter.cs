using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Telemetry;

/// <summary>Telemetry requests per device per fixed minute (<see cref="TelemetryOptions.RequestsPerDevicePerMinute"/>).</summary>
public sealed class TelemetryRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<TelemetryOptions> options,
    TimeProvider clock,
    ILogger<TelemetryRateLimiter> logger) : DeviceRateLimiter(redis, options.Value.RateFlushInterval, clock, logger)
{
    protected override int RequestsPerMinute => options.Value.RequestsPerDevicePerMinute;

    protected override string Requests => "Telemetry";

    protected override string CounterKey(Guid deviceId, long window) => RedisKeys.TelemetryRate(deviceId, window);
}
