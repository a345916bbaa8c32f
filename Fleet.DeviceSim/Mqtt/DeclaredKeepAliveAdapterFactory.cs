using System.Net;
using System.Security.Cryptography.X509Certificates;
using MQTTnet;
using MQTTnet.Adapter;
using MQTTnet.Diagnostics.Logger;
using MQTTnet.Formatter;
using MQTTnet.Implementations;
using MQTTnet.Packets;

namespace Fleet.DeviceSim.Mqtt;

/// <summary>
/// MQTTnet's own TCP channel adapter, whose CONNECT declares the device's keep-alive although the client is configured
/// with none. With a keep-alive, each MQTTnet client runs a loop that wakes every 250 ms to see whether it should ping:
/// 40,000 timers a second for 10,000 devices, each outliving a young-generation collection and swelling the heap.
/// <see cref="MqttDeviceLink"/> keeps the connection alive itself instead (its heartbeats, and a ping when quiet).
/// </summary>
internal sealed class DeclaredKeepAliveAdapterFactory(TimeSpan keepAlive) : IMqttClientAdapterFactory
{
    private static readonly MqttClientAdapterFactory Inner = new();

    public IMqttChannelAdapter CreateClientAdapter(MqttClientOptions options, MqttPacketInspector packetInspector, IMqttNetLogger logger) =>
        new Adapter(Inner.CreateClientAdapter(options, packetInspector, logger), (ushort)keepAlive.TotalSeconds);

    private sealed class Adapter(IMqttChannelAdapter inner, ushort keepAliveSeconds) : IMqttChannelAdapter
    {
        public long BytesReceived => inner.BytesReceived;

        public long BytesSent => inner.BytesSent;

        public X509Certificate2 ClientCertificate => inner.ClientCertificate;

        public EndPoint RemoteEndPoint => inner.RemoteEndPoint;

        public EndPoint LocalEndPoint => inner.LocalEndPoint;

        public bool IsSecureConnection => inner.IsSecureConnection;

        public MqttPacketFormatterAdapter PacketFormatterAdapter => inner.PacketFormatterAdapter;

        public Task ConnectAsync(CancellationToken cancellationToken) => inner.ConnectAsync(cancellationToken);

        public Task DisconnectAsync(CancellationToken cancellationToken) => inner.DisconnectAsync(cancellationToken);

        public Task<MqttPacket> ReceivePacketAsync(CancellationToken cancellationToken) => inner.ReceivePacketAsync(cancellationToken);

        public void ResetStatistics() => inner.ResetStatistics();

        public Task SendPacketAsync(MqttPacket packet, CancellationToken cancellationToken)
        {
            if (packet is MqttConnectPacket connect)
            {
                connect.KeepAlivePeriod = keepAliveSeconds;
            }

            return inner.SendPacketAsync(packet, cancellationToken);
        }

        public void Dispose() => inner.Dispose();
    }
}
