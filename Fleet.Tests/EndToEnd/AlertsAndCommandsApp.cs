using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.DeviceSim.Faults;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>
/// One AppHost (API, PostgreSQL, Redis, simulator as processes, through Aspire.Hosting.Testing) shared by the alert and command end-to-end tests, with
/// short status windows and fast heartbeats. The simulator's seed is fixed, so which devices a fault percentage hits
/// is known here the way the simulator draws it (<see cref="FaultInjector"/>), by serial.
/// </summary>
public sealed class AlertsAndCommandsApp : IAsyncLifetime
{
    public const int Devices = 40;
    public const int Seed = 42;
    public const int TelemetrySeconds = 6;

    private readonly string _stateDirectory = TestDirectories.Create("alerts-cmd-e2e");
    private RunningAppHost? _appHost;

    public HttpClient Api { get; private set; } = null!;

    public HttpClient Simulator { get; private set; } = null!;

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", Devices.ToString()], new Dictionary<string, string>
        {
            ["Fleet__Status__AtRiskAfter"] = "00:00:04",
            ["Fleet__Status__OfflineAfter"] = "00:00:08",
            ["Fleet__Status__SweepInterval"] = "00:00:01",
            ["Fleet__Commands__SweepInterval"] = "00:00:01",
            ["Fleet__Simulator__Seed"] = Seed.ToString(),
            ["Fleet__Simulator__HeartbeatSeconds"] = "1",
            ["Fleet__Simulator__TelemetrySeconds"] = TelemetrySeconds.ToString(),
        }, Cancellation);
        var state = _appHost.State;
        Api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(30));
        Simulator = FleetAppHost.SimulatorApi(state, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(
            async () => (await Api.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation))!.ByStatus.GetValueOrDefault("online") == Devices,
            TimeSpan.FromMinutes(2), $"all {Devices} devices online", Cancellation);
    }

    /// <summary>The serials of the devices a fault picks, drawn as the simulator draws them.</summary>
    public static IReadOnlySet<string> Hit(FaultSettings faults, Func<FaultInjector, int, bool> hits)
    {
        var injector = new FaultInjector(faults, Seed);
        return Enumerable.Range(1, Devices).Where(index => hits(injector, index)).Select(Serial).ToHashSet();
    }

    /// <summary>The serial the simulator gives its device number <paramref name="index"/> (1-based).</summary>
    public static string Serial(int index) => $"SIM-{index:D6}";

    /// <summary>Replaces the simulator's faults in force (<c>PUT /faults</c>; absent fields take their defaults).</summary>
    public async Task SetFaultsAsync(FaultSettings faults)
    {
        using var response = await Simulator.PutAsJsonAsync("/faults", faults, JsonSerializerOptions.Web, Cancellation);
        response.EnsureSuccessStatusCode();
    }

    public async Task<IReadOnlyList<DeviceSummary>> DevicesAsync() =>
        (await Api.GetFromJsonAsync<DeviceListResponse>($"{FleetHttp.DevicesRoute}?pageSize=500", Cancellation))!.Items;

    public async Task<DeviceSummary> DeviceAsync(string serial) => (await DevicesAsync()).Single(d => d.Serial == serial);

    public async Task<AlertRuleResponse> CreateRuleAsync(AlertRuleRequest rule)
    {
        using var response = await Api.PostAsJsonAsync("/api/v1/alert-rules", rule, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!;
    }

    public async Task DeleteRuleAsync(Guid ruleId)
    {
        using var response = await Api.DeleteAsync($"/api/v1/alert-rules/{ruleId}", Cancellation);
        response.EnsureSuccessStatusCode();
    }

    public async Task<IReadOnlyList<AlertResponse>> AlertsAsync(Guid ruleId) =>
        (await Api.GetFromJsonAsync<AlertListResponse>($"/api/v1/alerts?ruleId={ruleId}&pageSize=500", Cancellation))!.Items;

    public async Task<CommandResponse> SendCommandAsync(SendCommandRequest command)
    {
        using var response = await Api.PostAsJsonAsync(CommandsHttp.Route, command, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;
    }

    /// <summary>The device's delivery of one command, as <c>GET /api/v1/devices/{id}/commands</c> shows it.</summary>
    public async Task<DeviceCommandResponse> DeliveryAsync(Guid deviceId, Guid commandId) =>
        (await Api.GetFromJsonAsync<PagedList<DeviceCommandResponse>>($"{CommandsHttp.OfDevice(deviceId)}?pageSize=100", Cancellation))!
            .Items.Single(c => c.CommandId == commandId);

    public async ValueTask DisposeAsync()
    {
        Api?.Dispose();
        Simulator?.Dispose();
        if (_appHost is not null)
        {
            await _appHost.DisposeAsync();
        }

        TestDirectories.Delete(_stateDirectory);
    }
}
