using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Fleet.DeviceSim.Channels;

namespace Fleet.Tests.DeviceSim;

/// <summary>The simulator's own WebSocket upgrade, against a bare TCP listener that answers as a server would (or would not).</summary>
public sealed class WebSocketUpgradeTests
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_message_the_server_sends_together_with_its_upgrade_answer_is_received_first()
    {
        using var listener = Listen();
        var served = ServeOnceAsync(listener, key => Accepted(key) + "\r\n", frames: [TextFrame("{\"type\":\"command\"}"), TextFrame("second")]);

        using var socket = await WebSocketUpgrade.ConnectAsync(Uri(listener), "Device key-1", WebSocket.DefaultKeepAliveInterval, Cancellation);

        (await ReceiveTextAsync(socket)).ShouldBe("{\"type\":\"command\"}");
        (await ReceiveTextAsync(socket)).ShouldBe("second");
        var request = await served;
        request.ShouldStartWith("GET /api/v1/device/channel HTTP/1.1\r\n");
        request.ShouldContain("\r\nAuthorization: Device key-1\r\n");
        request.ShouldContain($"\r\nHost: 127.0.0.1:{Port(listener)}\r\n");
    }

    [Fact]
    public async Task A_refused_upgrade_fails_with_the_servers_status()
    {
        using var listener = Listen();
        _ = ServeOnceAsync(listener, _ => "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n", frames: []);

        var failure = await Should.ThrowAsync<WebSocketException>(() =>
            WebSocketUpgrade.ConnectAsync(Uri(listener), "Device wrong", WebSocket.DefaultKeepAliveInterval, Cancellation));

        failure.Message.ShouldContain("'401'");
    }

    [Fact]
    public async Task An_answer_that_does_not_prove_it_read_the_key_is_not_taken_for_a_websocket()
    {
        using var listener = Listen();
        _ = ServeOnceAsync(listener, _ => Accepted(Convert.ToBase64String(new byte[16])) + "\r\n", frames: []);

        await Should.ThrowAsync<WebSocketException>(() =>
            WebSocketUpgrade.ConnectAsync(Uri(listener), "Device key-1", WebSocket.DefaultKeepAliveInterval, Cancellation));
    }

    [Fact]
    public async Task A_server_that_hangs_up_before_answering_fails_the_connect()
    {
        using var listener = Listen();
        _ = Task.Run(async () =>
        {
            using var client = await listener.AcceptTcpClientAsync(Cancellation);
        }, Cancellation);

        await Should.ThrowAsync<WebSocketException>(() =>
            WebSocketUpgrade.ConnectAsync(Uri(listener), "Device key-1", WebSocket.DefaultKeepAliveInterval, Cancellation));
    }

    private static TcpListener Listen()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return listener;
    }

    private static int Port(TcpListener listener) => ((IPEndPoint)listener.LocalEndpoint).Port;

    private static Uri Uri(TcpListener listener) => new($"ws://127.0.0.1:{Port(listener)}/api/v1/device/channel");

    /// <summary>Accepts one connection, reads the request head, writes the answer and any frames in one write; returns the request head.</summary>
    private static async Task<string> ServeOnceAsync(TcpListener listener, Func<string, string> answer, byte[][] frames)
    {
        using var client = await listener.AcceptTcpClientAsync(Cancellation);
        var stream = client.GetStream();
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, Cancellation) == 0)
            {
                throw new IOException("The client hung up before its request was complete.");
            }

            head.Append((char)one[0]);
        }

        var key = head.ToString().Split("\r\n").Single(line => line.StartsWith("Sec-WebSocket-Key:", StringComparison.OrdinalIgnoreCase))["Sec-WebSocket-Key:".Length..].Trim();
        byte[] reply = [.. Encoding.ASCII.GetBytes(answer(key)), .. frames.SelectMany(frame => frame)];
        await stream.WriteAsync(reply, Cancellation);
        // Keep the connection until the client has read what it was sent and goes away.
        _ = await stream.ReadAtLeastAsync(new byte[1], 1, throwOnEndOfStream: false, Cancellation);
        return head.ToString();
    }

#pragma warning disable CA5350 // RFC 6455's accept value is SHA-1 by definition.
    private static string Accepted(string key) =>
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
        $"Sec-WebSocket-Accept: {Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")))}\r\n";
#pragma warning restore CA5350

    /// <summary>An unmasked text frame, as a server sends it (payloads under 126 bytes).</summary>
    private static byte[] TextFrame(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        return [0x81, (byte)payload.Length, .. payload];
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var buffer = new byte[256];
        var result = await socket.ReceiveAsync(buffer.AsMemory(), Cancellation);
        result.EndOfMessage.ShouldBeTrue();
        return Encoding.UTF8.GetString(buffer, 0, result.Count);
    }
}
