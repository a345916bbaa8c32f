using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim.Commands;
using Fleet.DeviceSim.Updates;

namespace Fleet.DeviceSim.Channels;

/// <summary>
/// One device's channel: keeps a WebSocket open while the device is registered and up, reconnecting with backoff and
/// jitter; closes it while the device is down (rebooting, or held offline by a fault). Incoming messages go to the
/// device's updater and command runner by <c>type</c>; its reports wait in an outbox until acknowledged and are sent
/// again on reconnect. All of it is async: no thread of its own.
/// </summary>
public sealed partial class DeviceLink : IDeviceTransport
{
    private const int InitialBufferBytes = 1024;
    private const int MaxMessageBytes = 64 * 1024;

    private readonly DeviceChannels _channels;
    private readonly Lock _lock = new();
    private readonly DeviceMessages _messages;
    private readonly SemaphoreSlim _send = new(1, 1);
    private WebSocket? _socket;
    private CancellationTokenSource? _session;
    private int _failures;

    public DeviceLink(VirtualDevice device, DeviceChannels channels)
    {
        Device = device;
        _channels = channels;
        _messages = new DeviceMessages(device, this, channels);
    }

    public VirtualDevice Device { get; }

    public DeviceUpdater Updater => _messages.Updater;

    public DeviceCommands Commands => _messages.Commands;

    public bool IsOpen => Volatile.Read(ref _socket) is { State: WebSocketState.Open };

    /// <summary>Reports sent but not acknowledged yet.</summary>
    public int Unacknowledged => _messages.Undelivered;

    public async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            if (await _channels.WhenConnectableAsync(Device, stopping) is not { } identity)
            {
                continue;
            }

            var socket = await ConnectAsync(identity.DeviceKey, stopping);
            if (socket is null)
            {
                await Task.Delay(RetryBackoff.After(_failures, _channels.MaxBackoff, Random.Shared), _channels.Clock, stopping);
                continue;
            }

            await ServeAsync(socket, stopping);
        }
    }

    /// <summary>Closes the channel now (the device went down); the run loop reconnects once it is up.</summary>
    public void Disconnect()
    {
        lock (_lock)
        {
            _session?.Cancel();
        }
    }

    public async Task ReportAsync(string key, string state, object message, CancellationToken cancellationToken)
    {
        _messages.Keep(key, state, message);
        await TrySendAsync(message, cancellationToken);
    }

    public Task RebootAsync(CancellationToken cancellationToken) => _channels.RebootAsync(this, cancellationToken);

    private async Task<WebSocket?> ConnectAsync(string deviceKey, CancellationToken stopping)
    {
        await _channels.ConnectTurns.WaitAsync(stopping);
        try
        {
            return await _channels.Connector.ConnectAsync(deviceKey, stopping);
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            _failures = Math.Min(_failures + 1, 16);
            _channels.Status.ChannelConnectFailed();
            LogConnectFailed(_channels.Logger, Device.Serial, exception.Message);
            return null;
        }
        finally
        {
            _channels.ConnectTurns.Release();
        }
    }

    private async Task ServeAsync(WebSocket socket, CancellationToken stopping)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        lock (_lock)
        {
            _session = session;
            Volatile.Write(ref _socket, socket);
        }

        _channels.Status.ChannelOpened();
        try
        {
            // A device that went down while connecting closes at once.
            if (Device.IsDown(_channels.Clock.GetUtcNow()))
            {
                return;
            }

            _failures = 0;
            await ResendOutboxAsync(session.Token);
            await ReceiveAsync(socket, session.Token);
            _failures = Math.Min(_failures + 1, 16);
        }
        catch (Exception exception) when (exception is WebSocketException or OperationCanceledException or ObjectDisposedException && !stopping.IsCancellationRequested)
        {
            if (!session.IsCancellationRequested)
            {
                _failures = Math.Min(_failures + 1, 16);
                LogChannelLost(_channels.Logger, Device.Serial, exception.Message);
            }
        }
        catch (Exception exception) when (!stopping.IsCancellationRequested && exception is not OutOfMemoryException)
        {
            // A message this device cannot handle (a bug, or a server it does not understand) costs its connection, not the fleet.
            _failures = Math.Min(_failures + 1, 16);
            LogChannelFailed(_channels.Logger, Device.Serial, exception);
        }
        finally
        {
            lock (_lock)
            {
                _session = null;
                Volatile.Write(ref _socket, null);
            }

            _channels.Status.ChannelClosed();
            socket.Abort();
            socket.Dispose();
        }
    }

    private async Task ReceiveAsync(WebSocket socket, CancellationToken cancellationToken)
    {
        while (socket.State == WebSocketState.Open)
        {
            // Waits for the next message without a buffer: idle channels (nearly all of them) hold none.
            var result = await socket.ReceiveAsync(Memory<byte>.Empty, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            var buffer = ArrayPool<byte>.Shared.Rent(InitialBufferBytes);
            try
            {
                var length = 0;
                while (!result.EndOfMessage)
                {
                    if (length == buffer.Length)
                    {
                        if (buffer.Length >= MaxMessageBytes)
                        {
                            await socket.CloseAsync(WebSocketCloseStatus.MessageTooBig, $"Messages are limited to {MaxMessageBytes} bytes.", cancellationToken);
                            return;
                        }

                        buffer = PooledBuffer.Grow(buffer, length, buffer.Length * 4);
                    }

                    result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
                    length += result.Count;
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                await _messages.DispatchAsync(new ReadOnlySequence<byte>(buffer, 0, length));
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private async Task ResendOutboxAsync(CancellationToken cancellationToken)
    {
        foreach (var (_, _, message) in _messages.Pending())
        {
            await SendAsync(message, cancellationToken);
        }
    }

    /// <summary>Sends when the channel is open; a report that cannot go now waits in the outbox for the next connection.</summary>
    private async Task TrySendAsync(object message, CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(message, cancellationToken);
        }
        catch (Exception exception) when (exception is WebSocketException or ObjectDisposedException
            || (exception is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            LogSendFailed(_channels.Logger, Device.Serial, exception.Message);
        }
    }

    private async Task SendAsync(object message, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _socket) is not { State: WebSocketState.Open } socket)
        {
            return;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(message, message.GetType(), JsonSerializerOptions.Web);
        await _send.WaitAsync(cancellationToken);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
        }
        finally
        {
            _send.Release();
        }
    }

    public void Dispose() => _send.Dispose();

    [LoggerMessage(Level = LogLevel.Debug, Message = "Channel of {Serial} could not connect: {Reason}")]
    private static partial void LogConnectFailed(ILogger logger, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Channel of {Serial} lost: {Reason}")]
    private static partial void LogChannelLost(ILogger logger, string serial, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Channel of {Serial} failed; reconnecting")]
    private static partial void LogChannelFailed(ILogger logger, string serial, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Report of {Serial} not sent now ({Reason}); it goes again on reconnect")]
    private static partial void LogSendFailed(ILogger logger, string serial, string reason);
}
