namespace Fleet.DeviceSim;

/// <summary>Counters the simulator exposes on <c>/status</c>, for tests, benchmarks and people.</summary>
public sealed class SimulatorStatus
{
    private int _devices;
    private int _registered;
    private int _offline;
    private long _heartbeatsSent;
    private long _heartbeatFailures;
    private long _registrationFailures;
    private long _telemetryPointsSent;
    private long _telemetryBatchesSent;
    private long _telemetryFailures;
    private long _telemetryRejected;
    private long _rateLimited;
    private long _readingsTaken;
    private long _readingsDropped;
    private long _readingsOverflowed;
    private string _preset = "";
    private int _channelsOpen;
    private long _channelConnectFailures;
    private long _updatesStarted;
    private long _updatesHealthy;
    private long _updatesFailed;
    private long _updatesRolledBack;
    private long _downloadsCut;
    private long _downloadsResumed;
    private long _commandsCompleted;
    private long _commandsRejected;
    private int _mqttConnected;
    private long _mqttConnectFailures;
    private long _mqttNotAuthorized;

    public void SetFleet(int count, string preset)
    {
        Interlocked.Exchange(ref _devices, count);
        Volatile.Write(ref _preset, preset);
    }

    public void DeviceRegistered() => Interlocked.Increment(ref _registered);

    /// <summary>The API no longer knows the device's key; it will register again.</summary>
    public void DeviceLostKey() => Interlocked.Decrement(ref _registered);

    public void RegistrationFailed() => Interlocked.Increment(ref _registrationFailures);

    public void HeartbeatSent() => Interlocked.Increment(ref _heartbeatsSent);

    public void HeartbeatFailed() => Interlocked.Increment(ref _heartbeatFailures);

    public void TelemetrySent(int points)
    {
        Interlocked.Add(ref _telemetryPointsSent, points);
        Interlocked.Increment(ref _telemetryBatchesSent);
    }

    public void TelemetryFailed() => Interlocked.Increment(ref _telemetryFailures);

    /// <summary>The API refused a batch for good (a 4xx other than 401/429, e.g. a skewed clock beyond its window).</summary>
    public void TelemetryRejected() => Interlocked.Increment(ref _telemetryRejected);

    public void RateLimited() => Interlocked.Increment(ref _rateLimited);

    public void ReadingsTaken(int taken, int dropped, int overflowed)
    {
        Interlocked.Add(ref _readingsTaken, taken);
        Interlocked.Add(ref _readingsDropped, dropped);
        Interlocked.Add(ref _readingsOverflowed, overflowed);
    }

    /// <summary>How many devices the offline fault holds back, counted on each scheduler pass.</summary>
    public void SetOffline(int count) => Interlocked.Exchange(ref _offline, count);

    public void ChannelOpened() => Interlocked.Increment(ref _channelsOpen);

    public void ChannelClosed() => Interlocked.Decrement(ref _channelsOpen);

    public void ChannelConnectFailed() => Interlocked.Increment(ref _channelConnectFailures);

    public void UpdateStarted() => Interlocked.Increment(ref _updatesStarted);

    public void UpdateHealthy() => Interlocked.Increment(ref _updatesHealthy);

    public void UpdateFailed() => Interlocked.Increment(ref _updatesFailed);

    public void UpdateRolledBack() => Interlocked.Increment(ref _updatesRolledBack);

    public void DownloadCut() => Interlocked.Increment(ref _downloadsCut);

    public void DownloadResumed() => Interlocked.Increment(ref _downloadsResumed);

    public void CommandCompleted() => Interlocked.Increment(ref _commandsCompleted);

    public void CommandRejected() => Interlocked.Increment(ref _commandsRejected);

    public void MqttConnected() => Interlocked.Increment(ref _mqttConnected);

    public void MqttDisconnected() => Interlocked.Decrement(ref _mqttConnected);

    public void MqttConnectFailed() => Interlocked.Increment(ref _mqttConnectFailures);

    public void MqttNotAuthorized() => Interlocked.Increment(ref _mqttNotAuthorized);

    public Snapshot Current()
    {
        var memory = GC.GetGCMemoryInfo();
        return new(
            Volatile.Read(ref _devices),
            Volatile.Read(ref _registered),
            Interlocked.Read(ref _heartbeatsSent),
            Interlocked.Read(ref _heartbeatFailures),
            Interlocked.Read(ref _registrationFailures),
            Interlocked.Read(ref _telemetryPointsSent),
            Interlocked.Read(ref _telemetryFailures))
        {
            Preset = Volatile.Read(ref _preset),
            Offline = Volatile.Read(ref _offline),
            TelemetryBatchesSent = Interlocked.Read(ref _telemetryBatchesSent),
            TelemetryRejected = Interlocked.Read(ref _telemetryRejected),
            RateLimited = Interlocked.Read(ref _rateLimited),
            ReadingsTaken = Interlocked.Read(ref _readingsTaken),
            ReadingsDropped = Interlocked.Read(ref _readingsDropped),
            ReadingsOverflowed = Interlocked.Read(ref _readingsOverflowed),
            ChannelsOpen = Volatile.Read(ref _channelsOpen),
            ChannelConnectFailures = Interlocked.Read(ref _channelConnectFailures),
            UpdatesStarted = Interlocked.Read(ref _updatesStarted),
            UpdatesHealthy = Interlocked.Read(ref _updatesHealthy),
            UpdatesFailed = Interlocked.Read(ref _updatesFailed),
            UpdatesRolledBack = Interlocked.Read(ref _updatesRolledBack),
            DownloadsCut = Interlocked.Read(ref _downloadsCut),
            DownloadsResumed = Interlocked.Read(ref _downloadsResumed),
            CommandsCompleted = Interlocked.Read(ref _commandsCompleted),
            CommandsRejected = Interlocked.Read(ref _commandsRejected),
            MqttConnected = Volatile.Read(ref _mqttConnected),
            MqttConnectFailures = Interlocked.Read(ref _mqttConnectFailures),
            MqttNotAuthorized = Interlocked.Read(ref _mqttNotAuthorized),
            ManagedHeapBytes = memory.HeapSizeBytes,
            GcCommittedBytes = memory.TotalCommittedBytes,
        };
    }

    public sealed record Snapshot(
        int Devices, int Registered, long HeartbeatsSent, long HeartbeatFailures, long RegistrationFailures, long TelemetryPointsSent, long TelemetryFailures)
    {
        public string Preset { get; init; } = "";

        public int Offline { get; init; }

        public long TelemetryBatchesSent { get; init; }

        public long TelemetryRejected { get; init; }

        /// <summary>429 answers; the device waited for Retry-After each time.</summary>
        public long RateLimited { get; init; }

        public long ReadingsTaken { get; init; }

        /// <summary>Readings the drop fault threw away (the API sees them as sequence gaps).</summary>
        public long ReadingsDropped { get; init; }

        /// <summary>Readings lost because a device's buffer was full while the API did not take them.</summary>
        public long ReadingsOverflowed { get; init; }

        /// <summary>Device channels (WebSockets) open now.</summary>
        public int ChannelsOpen { get; init; }

        public long ChannelConnectFailures { get; init; }

        public long UpdatesStarted { get; init; }

        /// <summary>The managed heap after the last GC; the rest of the resident set is the runtime, code and native buffers.</summary>
        public long ManagedHeapBytes { get; init; }

        /// <summary>Memory the GC has committed (heap, free space it keeps, bookkeeping).</summary>
        public long GcCommittedBytes { get; init; }

        public long UpdatesHealthy { get; init; }

        /// <summary>Updates that failed: download, sha256 check, or boot health check (rolled back by the device).</summary>
        public long UpdatesFailed { get; init; }

        public long UpdatesRolledBack { get; init; }

        /// <summary>Downloads the cut fault interrupted midway.</summary>
        public long DownloadsCut { get; init; }

        /// <summary>Range requests that resumed a download from the bytes already held.</summary>
        public long DownloadsResumed { get; init; }

        public long CommandsCompleted { get; init; }

        public long CommandsRejected { get; init; }

        /// <summary>MQTT devices connected to the broker now.</summary>
        public int MqttConnected { get; init; }

        /// <summary>MQTT connection attempts that failed (broker unreachable, refused for a reason other than authorization).</summary>
        public long MqttConnectFailures { get; init; }

        /// <summary>Connections the broker refused as not authorized (wrong key, or the device suspended or retired).</summary>
        public long MqttNotAuthorized { get; init; }
    }
}
