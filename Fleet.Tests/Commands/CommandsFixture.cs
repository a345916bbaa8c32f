using System.Net;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Commands;

/// <summary>Fleet.Api with its command sweeper on a short interval; a subclass says how quickly a silent device is resent to.</summary>
public abstract class CommandsFixture(BackingServers servers, IReadOnlyDictionary<string, string?> settings) : IAsyncLifetime
{
    public ApiFactory Api { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        var all = new Dictionary<string, string?>(settings) { ["Fleet:Commands:SweepInterval"] = "00:00:00.200" };
        Api = await ApiFactory.StartAsync(servers, Cancellation, all);
        Operator = Api.CreateClient().AsOperator();
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        await Api.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    public async Task<CommandResponse> SendAsync(SendCommandRequest request)
    {
        using var response = await Operator.PostAsJsonAsync(CommandsHttp.Route, request, Cancellation);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"Send command: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Cancellation)}");
        }

        return (await response.Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;
    }

    public async Task<CommandDeviceResponse> DeliveryAsync(Guid commandId, Guid deviceId) =>
        (await Operator.GetFromJsonAsync<PagedList<CommandDeviceResponse>>($"{CommandsHttp.Devices(commandId)}?pageSize=500", Cancellation))!
            .Items.Single(d => d.DeviceId == deviceId);

    public async Task<CommandDeviceResponse> EventuallyStateAsync(Guid commandId, Guid deviceId, string state) =>
        await Eventually.GetAsync(async () =>
        {
            var delivery = await DeliveryAsync(commandId, deviceId);
            return delivery.State == state ? delivery : null;
        }, TimeSpan.FromSeconds(20), $"command {commandId} to be {state} on device {deviceId}", Cancellation);

    public async Task<IReadOnlyList<string>> EventsAsync(Guid commandId, Guid deviceId) =>
        [.. (await Operator.GetFromJsonAsync<List<CommandEventResponse>>(CommandsHttp.Events(commandId, deviceId), Cancellation))!
            .Select(e => $"{e.From ?? "none"}->{e.To}")];
}

/// <summary>Acknowledgement timeout long enough that no test sees a resend unless it waits for one.</summary>
public sealed class CommandsApiFixture(BackingServers servers) : CommandsFixture(servers, new Dictionary<string, string?>());

/// <summary>A silent device is resent to after one second and failed after its second send; a segment may hold five devices.</summary>
public sealed class CommandResendFixture(BackingServers servers) : CommandsFixture(servers, new Dictionary<string, string?>
{
    ["Fleet:Commands:AckTimeout"] = "00:00:01",
    ["Fleet:Commands:MaxAttempts"] = "2",
    ["Fleet:Commands:MaxDevices"] = "5",
});
