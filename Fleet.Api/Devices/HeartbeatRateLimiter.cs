using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Devices;

/// <summary>Heartbeats per device per fixed minute (<see cref="HeartbeatOptions.RequestsPerDevicePerMinute"/>), counted like telemetry.</summary>
public sealed class HeartbeatRateLimiter(
    IConnectionMultiplexer redis,
    IOptions<HeartbeatOptions> options,
    TimeProvider clock,
    ILogger<HeartbeatRateLimiter> logger) : DeviceRateLimiter(redis, options.Value.RateFlushInterval, clock, logger)
{
    protected override int RequestsPerMinute => options.Value.RequestsPerDevicePerMinute;

    protected override string Requests => "Heartbeat";

    protected override string CounterKey(Guid deviceId, long window) => RedisKeys.HeartbeatRate(deviceId, window);
}
