using System.Buffers;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;

namespace Fleet.DeviceSim.Channels;

/// <summary>
/// Opens a client WebSocket by its own HTTP/1.1 upgrade (RFC 6455 §4.1) on a plain socket, then hands the stream to
/// the runtime's WebSocket (<see cref="WebSocket.CreateFromStream(Stream, WebSocketCreationOptions)"/>).
/// <see cref="ClientWebSocket"/> keeps the HTTP connection it upgraded from for the socket's whole life — two 4 KB
/// buffers, the request and its headers, a connection pool of its own — about 13 KB a socket, which made the
/// simulator's ten thousand channels its largest cost. Here a channel holds the socket, its stream and the WebSocket.
/// </summary>
public static class WebSocketUpgrade
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaxResponseHeadBytes = 8 * 1024;

    /// <summary>Connects to <paramref name="uri"/> (<c>ws</c> or <c>wss</c>) sending <paramref name="authorization"/> as the Authorization header.</summary>
    /// <exception cref="WebSocketException">The server could not be reached or did not accept the upgrade.</exception>
    public static async Task<WebSocket> ConnectAsync(Uri uri, string authorization, TimeSpan keepAliveInterval, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(uri.IdnHost, uri.Port, cancellationToken);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (uri.Scheme == Uri.UriSchemeWss)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = uri.IdnHost }, cancellationToken);
            }

            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: {authorization}\r\n\r\n"), cancellationToken);
            var early = await ReadUpgradeAnswerAsync(stream, key, cancellationToken);
            if (early.Length > 0)
            {
                // The server's first frames came with its answer: the WebSocket reads them before the socket.
                stream = new PrefixedStream(early, stream);
            }

            return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = keepAliveInterval });
        }
        catch (Exception exception) when (exception is SocketException or IOException or AuthenticationException)
        {
            Close(stream, socket);
            throw new WebSocketException(WebSocketError.Faulted, $"Unable to connect to {uri.Authority}: {exception.Message}", exception);
        }
        catch
        {
            Close(stream, socket);
            throw;
        }
    }

    /// <summary>Reads the answer's head and checks it accepts the upgrade; returns the bytes that came after the head.</summary>
    private static async Task<byte[]> ReadUpgradeAnswerAsync(Stream stream, string key, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(1024);
        try
        {
            var length = 0;
            int headEnd;
            while ((headEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (length == buffer.Length)
                {
                    if (length >= MaxResponseHeadBytes)
                    {
                        throw new WebSocketException(WebSocketError.HeaderError, $"The server's answer to the upgrade is longer than {MaxResponseHeadBytes} bytes.");
                    }

                    buffer = PooledBuffer.Grow(buffer, length, length * 2);
                }

                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    throw new WebSocketException(WebSocketError.ConnectionClosedPrematurely, "The server closed the connection before answering the upgrade.");
                }

                length += read;
            }

            CheckAnswer(Encoding.Latin1.GetString(buffer, 0, headEnd), key);
            return buffer.AsSpan(headEnd + 4, length - headEnd - 4).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>101 Switching Protocols to <c>websocket</c>, with the accept value RFC 6455 derives from our key.</summary>
    private static void CheckAnswer(string head, string key)
    {
        var lines = head.Split("\r\n");
        var status = lines[0].Split(' ', 3);
        if (status.Length < 2 || !status[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(status[1], out var code))
        {
            throw new WebSocketException(WebSocketError.HeaderError, $"The server's answer to the upgrade is not HTTP: '{lines[0]}'.");
        }

        if (code != 101)
        {
            throw new WebSocketException(WebSocketError.NotAWebSocket, $"The server returned status code '{code}' when status code '101' was expected.");
        }

        string? upgrade = null, connection = null, accept = null, extensions = null;
        foreach (var line in lines.AsSpan(1))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            switch (line[..colon].Trim().ToLowerInvariant())
            {
                case "upgrade": upgrade = value; break;
                case "connection": connection = value; break;
                case "sec-websocket-accept": accept = value; break;
                case "sec-websocket-extensions": extensions = value; break;
            }
        }

#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for the accept value; it proves the server read our key, it protects nothing.
        var expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
        if (!string.Equals(upgrade, "websocket", StringComparison.OrdinalIgnoreCase)
            || connection is null || !connection.Contains("upgrade", StringComparison.OrdinalIgnoreCase)
            || accept != expected)
        {
            throw new WebSocketException(WebSocketError.HeaderError, "The server's answer does not accept the WebSocket upgrade.");
        }

        if (!string.IsNullOrEmpty(extensions))
        {
            // None was asked for; a frame compressed by one this side does not speak would be unreadable.
            throw new WebSocketException(WebSocketError.HeaderError, $"The server chose an extension that was not offered: '{extensions}'.");
        }
    }

    private static void Close(Stream? stream, Socket socket)
    {
        if (stream is null)
        {
            socket.Dispose();
        }
        else
        {
            stream.Dispose();
        }
    }

    /// <summary>A stream that reads some bytes already received before reading from the connection.</summary>
    private sealed class PrefixedStream(byte[] prefix, Stream inner) : Stream
    {
        private ReadOnlyMemory<byte> _prefix = prefix;

        public override bool CanRead => true;

        public override bool CanWrite => true;

        public override bool CanSeek => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            _prefix.IsEmpty ? inner.ReadAsync(buffer, cancellationToken) : ValueTask.FromResult(TakePrefix(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) =>
            _prefix.IsEmpty ? inner.Read(buffer, offset, count) : TakePrefix(buffer.AsSpan(offset, count));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private int TakePrefix(Span<byte> destination)
        {
            var count = Math.Min(destination.Length, _prefix.Length);
            _prefix.Span[..count].CopyTo(destination);
            _prefix = _prefix[count..];
            return count;
        }
    }
}
