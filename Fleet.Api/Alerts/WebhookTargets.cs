using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Fleet.Api.Alerts;

/// <summary>
/// Where alert webhooks may go: not to loopback, private, link-local (cloud metadata at 169.254.169.254), shared,
/// multicast or unspecified addresses, unless <see cref="AlertOptions.WebhookAllowedNetworks"/> names the network.
/// Names are resolved before deciding, when a rule is saved and again at every connection (<see cref="ConnectAsync"/>),
/// so a name that resolves elsewhere later (DNS rebinding) reaches nothing it may not.
/// </summary>
public sealed class WebhookTargets(IOptions<AlertOptions> options)
{
    private static readonly IPNetwork[] Refused =
    [
        IPNetwork.Parse("0.0.0.0/8"), IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("100.64.0.0/10"), IPNetwork.Parse("127.0.0.0/8"),
        IPNetwork.Parse("169.254.0.0/16"), IPNetwork.Parse("172.16.0.0/12"), IPNetwork.Parse("192.0.0.0/24"), IPNetwork.Parse("192.168.0.0/16"),
        IPNetwork.Parse("198.18.0.0/15"), IPNetwork.Parse("224.0.0.0/4"), IPNetwork.Parse("240.0.0.0/4"),
        IPNetwork.Parse("::/128"), IPNetwork.Parse("::1/128"), IPNetwork.Parse("fc00::/7"), IPNetwork.Parse("fe80::/10"), IPNetwork.Parse("ff00::/8"),
    ];

    public bool IsAllowed(IPAddress address)
    {
        var plain = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        return options.Value.AllowedNetworks.Any(network => network.Contains(plain)) || !Refused.Any(network => network.Contains(plain));
    }

    /// <summary>Why <paramref name="url"/> may not be a webhook (every address its host resolves to must be allowed), or null.</summary>
    public async Task<string?> RefusalAsync(Uri url, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(url.IdnHost, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
        }
        catch (SocketException)
        {
            return $"host '{url.Host}' does not resolve.";
        }

        return addresses.Length == 0 ? $"host '{url.Host}' does not resolve."
            : addresses.FirstOrDefault(address => !IsAllowed(address)) is { } refused
                ? $"resolves to {refused}, a loopback, private or link-local address; allow its network in Fleet:Alerts:WebhookAllowedNetworks if it is meant."
                : null;
    }

    /// <summary>The webhook client's connect step: resolves the host and connects only to an allowed address.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        var allowed = addresses.Where(IsAllowed).ToArray();
        if (allowed.Length == 0)
        {
            throw new HttpRequestException($"Webhook host '{host}' resolves to no address webhooks may reach.");
        }

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed, context.DnsEndPoint.Port, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
