using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Devices;

/// <summary>
/// An operator's one-time allowance for an enrolled device to register again without its current key (it was
/// factory-reset or lost its storage). The allowance lives in Redis for <see cref="FleetOptions.ReEnrollmentWindow"/>
/// and is taken by the first registration of that serial; a lost allowance is simply granted again.
/// </summary>
public sealed class ReEnrollment(IConnectionMultiplexer redis, IOptions<FleetOptions> options, TimeProvider clock)
{
    public static RedisKey Key(Guid deviceId) => $"fleet:enroll:allowance:{deviceId:N}";

    /// <summary>Grants one re-enrollment; its expiry.</summary>
    public async Task<DateTimeOffset> GrantAsync(Guid deviceId)
    {
        var window = options.Value.ReEnrollmentWindow;
        await redis.GetDatabase().StringSetAsync(Key(deviceId), "1", window);
        return clock.GetUtcNow() + window;
    }

    /// <summary>True once per grant: the allowance is deleted as it is read.</summary>
    public async Task<bool> TakeAsync(Guid deviceId) => (await redis.GetDatabase().StringGetDeleteAsync(Key(deviceId))).HasValue;
}
