using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Infrastructure;

/// <summary>
/// Remembers which device a key hash belongs to for <see cref="FleetOptions.DeviceKeyCacheTtl"/>, so a heartbeat
/// does not cost a database round trip. Only hits are cached; whoever replaces a key or changes a lifecycle calls
/// <see cref="Forget"/> on this replica, and other replicas catch up when their entry expires.
/// </summary>
public sealed class DeviceKeyCache(IMemoryCache cache, IOptions<FleetOptions> options)
{
    public AuthenticatedDevice? Find(byte[] keyHash) => cache.Get<AuthenticatedDevice>(new Entry(Convert.ToBase64String(keyHash)));

    public void Set(byte[] keyHash, AuthenticatedDevice device)
    {
        if (options.Value.DeviceKeyCacheTtl > TimeSpan.Zero)
        {
            cache.Set(new Entry(Convert.ToBase64String(keyHash)), device, options.Value.DeviceKeyCacheTtl);
        }
    }

    public void Forget(byte[] keyHash) => cache.Remove(new Entry(Convert.ToBase64String(keyHash)));

    private sealed record Entry(string KeyHash);
}
