using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Alerts;

/// <summary>An API whose alert webhooks may reach loopback, where the tests' webhook receivers listen.</summary>
public sealed class AlertsApiFixture(BackingServers servers) : IAsyncLifetime
{
    public static readonly IReadOnlyDictionary<string, string?> LoopbackWebhooks = new Dictionary<string, string?>
    {
        ["Fleet:Alerts:WebhookAllowedNetworks:0"] = "127.0.0.1/32",
    };

    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken, LoopbackWebhooks);

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}
