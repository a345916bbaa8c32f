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
public sealed class TelemetryLog(IConnectionMultiplexer redis, IOptions<TelemetryOptions> options)
{
    public static readonly RedisKey Key = "fleet:telemetry:log";
    public const string Group = "telemetry-writers";
    public const string DeviceField = "d";
    public const string ReadingsField = "r";

    // The bound and the append in one round trip, so the log never grows past it, whatever the number of replicas.
    private const string AppendScript = $"""
        if redis.call('XLEN', KEYS[1]) >= tonumber(ARGV[1]) then return false end
        return redis.call('XADD', KEYS[1], '*', '{DeviceField}', ARGV[2], '{ReadingsField}', ARGV[3])
        """;

    private static readonly TimeSpan FullPollInterval = TimeSpan.FromMilliseconds(5);

    private IDatabase Database => redis.GetDatabase();

    /// <summary>
    /// Appends one request's readings. While the log holds <see cref="TelemetryOptions.MaxLogBacklog"/> entries (the
    /// writer is behind, or PostgreSQL is down) it waits for room, up to <see cref="TelemetryOptions.LogFullWait"/>, and
    /// then gives up: false. Throws <see cref="TelemetryStoreUnavailableException"/> when Redis cannot take it.
    /// </summary>
    public async Task<bool> AppendAsync(EncodedReadings readings, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var giveUpAt = DateTime.UtcNow + settings.LogFullWait;
        var device = readings.DeviceId.ToByteArray(bigEndian: true);
        // Not pooled: a command that times out may still be sent later, and must not send a buffer some other request reuses.
        var entry = new byte[readings.MaxLogEntryLength];
        var written = readings.WriteLogEntry(entry);
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var id = await Database.ScriptEvaluateAsync(AppendScript, [Key],
                    [settings.MaxLogBacklog, device, entry.AsMemory(0, written)]);
                if (!id.IsNull)
                {
                    return true;
                }

                // Full: look at its length (a cheap call, unlike sending the readings again) until a group commit makes room.
                do
                {
                    if (DateTime.UtcNow >= giveUpAt)
                    {
                        return false;
                    }

                    await Task.Delay(FullPollInterval, cancellationToken);
                }
                while (await Database.StreamLengthAsync(Key) >= settings.MaxLogBacklog);
            }
        }
        catch (RedisException exception)
        {
            throw new TelemetryStoreUnavailableException(exception);
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
