using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

[Collection(WholeAppTests.Name)]
public sealed class FleetStatusEndToEndTests : IDisposable
{
    private const int Devices = 100;
    private readonly string _stateDirectory = TestDirectories.Create("status-e2e");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_hundred_devices_register_report_go_offline_when_the_simulator_stops_and_come_back()
    {
        // Short windows and a fast simulator, handed to api and devices through the AppHost's environment.
        await using var appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", Devices.ToString()], new Dictionary<string, string>
        {
            ["Fleet__Status__AtRiskAfter"] = "00:00:04",
            ["Fleet__Status__OfflineAfter"] = "00:00:08",
            ["Fleet__Status__SweepInterval"] = "00:00:01",
            ["Fleet__Simulator__HeartbeatSeconds"] = "1",
        }, Cancellation);
        var state = appHost.State;
        using var api = FleetAppHost.OperatorApi(state, TimeSpan.FromSeconds(10));

        await WaitForStatusAsync(api, "online", TimeSpan.FromMinutes(1));
        var fleetdb = File.ReadAllText(state.Resource("fleetdb").ConnectionStringFile!);
        await Eventually.TrueAsync(
            async () => await CountAsync(fleetdb, "SELECT count(DISTINCT device_id) FROM telemetry") == Devices,
            TimeSpan.FromMinutes(1), "telemetry from every device", Cancellation);

        var simulator = state.Resource("devices").ProcessIds[0];
        Posix.Signal(simulator, Posix.SIGSTOP);
        try
        {
            await WaitForStatusAsync(api, "offline", TimeSpan.FromMinutes(1));
            var offline = await api.GetFromJsonAsync<DeviceListResponse>("/api/v1/devices?status=offline&pageSize=1", Cancellation);
            offline!.Total.ShouldBe(Devices);
            var history = await api.GetFromJsonAsync<DeviceEventsResponse>($"/api/v1/devices/{offline.Items[0].Id}/events", Cancellation);
            history!.Items.Where(e => e.Kind == "status").Select(e => e.To).Take(3).ShouldBe(["offline", "at-risk", "online"]);
        }
        finally
        {
            Posix.Signal(simulator, Posix.SIGCONT);
        }

        await WaitForStatusAsync(api, "online", TimeSpan.FromMinutes(1));
    }

    private static async Task WaitForStatusAsync(HttpClient api, string status, TimeSpan timeout) =>
        await Eventually.TrueAsync(
            async () => (await api.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation))!.ByStatus.GetValueOrDefault(status) == Devices,
            timeout, $"all {Devices} devices {status}", Cancellation);

    private static Task<long> CountAsync(string connectionString, string sql) => Sql.ScalarAsync<long>(connectionString, sql, Cancellation);


    public void Dispose() => TestDirectories.Delete(_stateDirectory);
}
