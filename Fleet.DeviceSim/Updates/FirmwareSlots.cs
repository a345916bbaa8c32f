namespace Fleet.DeviceSim.Updates;

/// <summary>
/// A device's two firmware slots (A/B). An update is written to the inactive slot and booted on trial; the device
/// commits it when healthy, or goes back to the slot it came from. Touched by the device's worker (heartbeat) and
/// its channel (updates) at once, so every change is made under a lock.
/// </summary>
public sealed class FirmwareSlots(string factoryVersion)
{
    public const string A = "A";
    public const string B = "B";

    private readonly Lock _lock = new();
    private string _a = factoryVersion;
    private string _b = factoryVersion;
    private string _active = A;
    private string? _trialFrom;

    /// <summary>The slot running now and its version, read together.</summary>
    public (string Slot, string Version) Running
    {
        get
        {
            lock (_lock)
            {
                return (_active, VersionIn(_active));
            }
        }
    }

    public string Inactive
    {
        get
        {
            lock (_lock)
            {
                return Other(_active);
            }
        }
    }

    public string VersionIn(string slot)
    {
        lock (_lock)
        {
            return slot == A ? _a : _b;
        }
    }

    /// <summary>Writes <paramref name="version"/> to the inactive slot; returns that slot.</summary>
    public string Install(string version)
    {
        lock (_lock)
        {
            var slot = Other(_active);
            if (slot == A)
            {
                _a = version;
            }
            else
            {
                _b = version;
            }

            return slot;
        }
    }

    /// <summary>Boots the other slot on trial: it runs, but the previous one is kept to come back to.</summary>
    public void BootOther()
    {
        lock (_lock)
        {
            _trialFrom = _active;
            _active = Other(_active);
        }
    }

    /// <summary>The trial boot came up healthy: it stays.</summary>
    public void Commit()
    {
        lock (_lock)
        {
            _trialFrom = null;
        }
    }

    /// <summary>Goes back to the slot the last update came from (a failed trial, or an operator's rollback); returns the slot now running.</summary>
    public string RevertToPrevious()
    {
        lock (_lock)
        {
            _active = _trialFrom ?? Other(_active);
            _trialFrom = null;
            return _active;
        }
    }

    private static string Other(string slot) => slot == A ? B : A;
}
