using System.Security.Cryptography;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using Fleet.ServiceDefaults;

namespace Fleet.Api.Devices;

/// <summary>Outcome of a registration: the device and its new key, or why not.</summary>
public abstract record RegistrationOutcome
{
    public sealed record Registered(Guid DeviceId, string DeviceKey, DeviceLifecycle Lifecycle) : RegistrationOutcome;

    public sealed record WrongEnrollmentToken : RegistrationOutcome;

    public sealed record Retired : RegistrationOutcome;

    /// <summary>The serial is enrolled, and neither its current key nor an operator's allowance came with the request.</summary>
    public sealed record AlreadyEnrolled : RegistrationOutcome;
}

/// <summary>
/// Enrolls devices. A new serial gets a device and a key. An enrolled serial gets the same device id and a fresh key
/// that replaces the old one only if the request proves it is that device (its current key, <c>Authorization: Device</c>)
/// or an operator granted it one re-enrollment (<see cref="ReEnrollment"/>, for a device that lost its key): the fleet's
/// enrollment token alone never hands out an existing device's identity.
/// </summary>
public sealed class DeviceRegistration(
    FleetDbContext db, DeviceKeyHasher hasher, DeviceKeyCache keyCache, ReEnrollment reEnrollment, BrokerDeviceIdentities broker,
    IOptions<FleetOptions> options, TimeProvider clock)
{
    /// <param name="presentedKey">The key the request carried, if any: the device's current one lets it enroll again.</param>
    public async Task<RegistrationOutcome> RegisterAsync(RegisterDeviceRequest request, string? presentedKey, CancellationToken cancellationToken)
    {
        if (!SecretComparer.Matches(request.EnrollmentToken, options.Value.EnrollmentToken))
        {
            return new RegistrationOutcome.WrongEnrollmentToken();
        }

        try
        {
            return await RegisterOnceAsync(request, presentedKey, cancellationToken);
        }
        catch (DbUpdateException exception) when (exception.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
        {
            // Two registrations of one serial raced; the other one created the device, so this one now finds it.
            db.ChangeTracker.Clear();
            return await RegisterOnceAsync(request, presentedKey, cancellationToken);
        }
    }

    private async Task<RegistrationOutcome> RegisterOnceAsync(RegisterDeviceRequest request, string? presentedKey, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var (key, hash) = hasher.NewKey();
        byte[]? replacedHash = null;
        var device = await db.Devices.SingleOrDefaultAsync(d => d.Serial == request.Serial, cancellationToken);
        if (device is { Lifecycle: DeviceLifecycle.Retired })
        {
            return new RegistrationOutcome.Retired();
        }

        if (device is null)
        {
            device = new Device
            {
                Id = Guid.CreateVersion7(now),
                Serial = request.Serial,
                Name = request.Name,
                Type = request.Type,
                HardwareRevision = request.HardwareRevision,
                Region = request.Region,
                Environment = request.Environment ?? DeviceEnvironments.Blue,
                Tags = request.Tags?.ToList() ?? [],
                Latitude = request.Location?.Lat,
                Longitude = request.Location?.Lon,
                Lifecycle = options.Value.Provisioning.AutoActivate ? DeviceLifecycle.Active : DeviceLifecycle.New,
                CreatedAt = now,
            };
            db.Devices.Add(device);
            db.DeviceCredentials.Add(new DeviceCredential { DeviceId = device.Id, KeyHash = hash, CreatedAt = now });
        }
        else
        {
            var credential = await db.DeviceCredentials.SingleOrDefaultAsync(c => c.DeviceId == device.Id, cancellationToken);
            var provesIdentity = credential is null
                || (presentedKey is not null && CryptographicOperations.FixedTimeEquals(DeviceKeyHasher.Hash(presentedKey), credential.KeyHash));
            if (!provesIdentity && !await reEnrollment.TakeAsync(device.Id))
            {
                return new RegistrationOutcome.AlreadyEnrolled();
            }

            if (credential is null)
            {
                db.DeviceCredentials.Add(new DeviceCredential { DeviceId = device.Id, KeyHash = hash, CreatedAt = now });
            }
            else
            {
                replacedHash = credential.KeyHash;
                credential.KeyHash = hash;
                credential.CreatedAt = now;
            }
        }

        // With MQTT, the broker takes the key inside the registry's transaction: if it does not, nothing was registered
        // (BrokerChangeFailedException, a 503); if the commit fails after it did, the device's retry sets the key again.
        await db.InTransactionAsync(broker.Enabled, async ct =>
        {
            await db.SaveChangesAsync(acceptAllChangesOnSuccess: false, ct);
            await broker.ProvisionAsync(device.Id, key, device.Lifecycle, ct);
            return true;
        }, cancellationToken);
        db.ChangeTracker.AcceptAllChanges();

        if (replacedHash is not null)
        {
            await keyCache.ForgetEverywhereAsync([replacedHash]);
        }

        return new RegistrationOutcome.Registered(device.Id, key, device.Lifecycle);
    }
}
