using Fleet.Api.Infrastructure;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Api.Telemetry;

/// <summary>
/// The telemetry log, used when <see cref="TelemetryOptions.Acknowledge"/> is <see cref="TelemetryAcknowledgement.Logged"/>:
/// a request's readings, in the compact form of <see cref="EncodedReadings.WriteLogEntry"/>, are appended to one Redis
/// stream, and the request is acknowledged then.
/// The writer's lanes drain the stream into PostgreSQL through a consumer group, many requests per group commit, and
/// acknowledge and delete an entry only once its readings are committed. So an entry outlives an API that stops or
/// crashes: it stays pending for the consumer that read it, and after <see cref="TelemetryOptions.LogClaimAfter"/> any
/// lane of any replica claims it. An entry stored but not yet deleted when a replica died is stored again, which the
/// writer's (device, seq) dedup turns into nothing. The stream is as durable as Redis is: the AppHost's Redis keeps an
/// append-only file written every second.
/// </summary>
public sealed class TelemetryLog(IConnectionMultiplexer redis, IOptions<TelemetryOptions> options, IOptions<FleetOptions> fleet) : IDisposable
{
    public static readonly RedisKey Key = "fleet:telemetry:log";
    public const string Group = "telemetry-writers";
    public const string DeviceField = "d";
    public const string ReadingsField = "r";

    // How long a look at the log's length serves appends; a request waiting for room looks again this often too.
    private static readonly TimeSpan LookEvery = TimeSpan.FromMilliseconds(5);

    private readonly SemaphoreSlim _looking = new(1, 1);

    // The log's length at this replica's last look plus what it appended since: appends check the bound against it,
    // and XLEN is asked at most once per LookEvery, not once per append.
    private long _length;
    private long _lookedAt = long.MinValue / 2; // long ago

    private IDatabase Database => redis.GetDatabase();

    private bool LastLookIsOld => Environment.TickCount64 - Volatile.Read(ref _lookedAt) >= LookEvery.TotalMilliseconds;

    /// <summary>
    /// Appends one request's readings. While the log holds <see cref="TelemetryOptions.MaxLogBacklog"/> entries (the
    /// writer is behind, or PostgreSQL is down) it waits for room, up to <see cref="TelemetryOptions.LogFullWait"/>, and
    /// then gives up: false. Throws <see cref="TelemetryStoreUnavailableException"/> when Redis cannot take it.
    /// </summary>
    /// <remarks>
    /// The bound is exact for one replica: it counts its own appends at once. Other replicas' appends it sees at its
    /// next look, so with several the log may pass the bound by what they append within <see cref="LookEvery"/>. A plain
    /// XADD after that check costs Redis a quarter of what a script that checks and appends in one step does.
    /// </remarks>
    public async Task<bool> AppendAsync(EncodedReadings readings, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        if (!redis.IsConnected)
        {
            // Nothing is queued in the client for a Redis that is away: a command sent once it is back would keep a refused request.
            throw new TelemetryStoreUnavailableException(new InvalidOperationException("Redis is not connected; nothing was sent."));
        }

        var giveUpAt = DateTime.UtcNow + settings.LogFullWait;
        var device = readings.DeviceId.ToByteArray(bigEndian: true);
        // Not pooled: a command that times out may still be sent later, and must not send a buffer some other request reuses.
        var entry = new byte[readings.MaxLogEntryLength];
        var written = readings.WriteLogEntry(entry);
        try
        {
            while (!await TryTakeRoomAsync(settings.MaxLogBacklog, cancellationToken))
            {
                if (DateTime.UtcNow >= giveUpAt)
                {
                    return false;
                }

                await Task.Delay(LookEvery, cancellationToken);
            }

            try
            {
                await Database.StreamAddAsync(Key, [new(DeviceField, device), new(ReadingsField, entry.AsMemory(0, written))]);
            }
            catch
            {
                Interlocked.Decrement(ref _length);
                throw;
            }

            return true;
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            throw new TelemetryStoreUnavailableException(exception);
        }
    }

    private async Task<bool> TryTakeRoomAsync(int maxLength, CancellationToken cancellationToken)
    {
        if (LastLookIsOld)
        {
            await LookAsync(cancellationToken);
        }

        if (Interlocked.Increment(ref _length) <= maxLength)
        {
            return true;
        }

        Interlocked.Decrement(ref _length);
        return false;
    }

    /// <summary>Asks the log's length, once for all the appends that find the last look too old.</summary>
    /// <remarks>Both the wait for the look and the look are bounded, so requests do not queue behind a Redis that stopped answering.</remarks>
    private async Task LookAsync(CancellationToken cancellationToken)
    {
        var timeout = fleet.Value.DeviceStoreTimeout;
        if (!await _looking.WaitAsync(timeout, cancellationToken))
        {
            throw new TimeoutException("The telemetry log's length was not known in time.");
        }

        try
        {
            if (LastLookIsOld)
            {
                Volatile.Write(ref _length, await Database.StreamLengthAsync(Key).WaitAsync(timeout, cancellationToken));
                Volatile.Write(ref _lookedAt, Environment.TickCount64);
            }
        }
        finally
        {
            _looking.Release();
        }
    }

    /// <summary>Creates the stream and the writers' consumer group if they are not there yet.</summary>
    public async Task EnsureGroupAsync()
    {
        try
        {
            await Database.StreamCreateConsumerGroupAsync(Key, Group, StreamPosition.Beginning, createStream: true);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("BUSYGROUP", StringComparison.Ordinal))
        {
        }
    }

    /// <summary>
    /// Up to <paramref name="count"/> entries for <paramref name="consumer"/>: first those it read before and has not
    /// acknowledged (a group commit that failed), else new ones.
    /// </summary>
    public async Task<IReadOnlyList<LoggedReadings>> ReadAsync(string consumer, bool ownPending, int count)
    {
        var entries = await Database.StreamReadGroupAsync(Key, Group, consumer, ownPending ? StreamPosition.Beginning : StreamPosition.NewMessages, count);
        return Decode(entries);
    }

    /// <summary>Takes over entries other consumers read and left unacknowledged for longer than <see cref="TelemetryOptions.LogClaimAfter"/>.</summary>
    public async Task<IReadOnlyList<LoggedReadings>> ClaimStaleAsync(string consumer, int count)
    {
        var claimed = await Database.StreamAutoClaimAsync(Key, Group, consumer, (long)options.Value.LogClaimAfter.TotalMilliseconds, "0-0", count);
        return Decode(claimed.ClaimedEntries);
    }

    /// <summary>The entries' readings are committed: acknowledged and deleted, in one round trip.</summary>
    public async Task RemoveAsync(IReadOnlyList<LoggedReadings> entries)
    {
        var ids = entries.Select(entry => entry.Id).ToArray();
        var batch = Database.CreateBatch();
        var acknowledged = batch.StreamAcknowledgeAsync(Key, Group, ids);
        var deleted = batch.StreamDeleteAsync(Key, ids);
        batch.Execute();
        await Task.WhenAll(acknowledged, deleted);
    }

    /// <summary>A lane that stops leaves the group, unless it holds entries it has not stored: another lane claims those later.</summary>
    public async Task ForgetAsync(string consumer)
    {
        try
        {
            var pending = await Database.StreamPendingAsync(Key, Group);
            if (pending.Consumers.All(holder => holder.Name != consumer))
            {
                await Database.StreamDeleteConsumerAsync(Key, Group, consumer);
            }
        }
        catch (RedisException)
        {
            // Redis is away: the consumer stays listed with nothing pending, which costs nothing.
        }
    }

    public void Dispose() => _looking.Dispose();

    private static List<LoggedReadings> Decode(StreamEntry[] entries)
    {
        var decoded = new List<LoggedReadings>(entries.Length);
        foreach (var entry in entries)
        {
            if (entry.IsNull)
            {
                continue;
            }

            var device = (ReadOnlyMemory<byte>)entry[DeviceField];
            var readings = (ReadOnlyMemory<byte>)entry[ReadingsField];
            decoded.Add(new LoggedReadings(entry.Id, device.Length == 16 ? new Guid(device.Span, bigEndian: true) : null, readings));
        }

        return decoded;
    }
}

/// <summary>
/// One log entry: a request's device and its readings as <see cref="EncodedReadings.WriteLogEntry"/> wrote them;
/// <see cref="DeviceId"/> is null when the entry is not one this API wrote (it cannot be stored, and is dropped with an
/// error logged).
/// </summary>
public sealed record LoggedReadings(RedisValue Id, Guid? DeviceId, ReadOnlyMemory<byte> Readings);
