using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>What an operator does to a running app in the end-to-end tests: publish, create, start, act on and watch rollouts; read the fleet.</summary>
public static class FleetOperator
{
    public static readonly string[] Finished = ["completed", "paused", "rolled-back", "aborted"];

    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    public static async Task<FleetStatsResponse> StatsAsync(HttpClient api) =>
        (await api.GetFromJsonAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation))!;

    /// <summary>Every registered device (the simulated fleets here are at most one page).</summary>
    public static async Task<IReadOnlyList<DeviceSummary>> DevicesAsync(HttpClient api)
    {
        var devices = (await api.GetFromJsonAsync<DeviceListResponse>("/api/v1/devices?pageSize=500", Cancellation))!;
        devices.Items.Count.ShouldBe(devices.Total, "the fleet fits one page");
        return devices.Items;
    }

    /// <summary>Devices whose reported firmware differs from <paramref name="before"/>, as "serial: before → now" (empty when none moved).</summary>
    public static async Task<List<string>> MovedAsync(HttpClient api, IReadOnlyDictionary<Guid, DeviceSummary> before, Func<DeviceSummary, bool> which) =>
        [.. (await DevicesAsync(api)).Where(d => which(d) && d.Firmware != before[d.Id].Firmware).Select(d => $"{d.Serial}: {before[d.Id].Firmware} → {d.Firmware}")];

    /// <summary>A 256 KiB release for the given device types (comma-separated).</summary>
    public static async Task<FirmwareReleaseResponse> PublishAsync(HttpClient api, string version, string types)
    {
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(new byte[256 * 1024]), FirmwareHttp.Fields.File, "firmware.bin" },
            { new StringContent(version), FirmwareHttp.Fields.Version },
            { new StringContent(types), FirmwareHttp.Fields.DeviceTypes },
        };
        using var response = await api.PostAsync(FirmwareHttp.ReleasesRoute, form, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<FirmwareReleaseResponse>(Cancellation))!;
    }

    /// <summary>A plan of zero-soak phases at the given percentages, every device of a phase at once.</summary>
    public static RolloutPlan Plan(double[] percents, bool autoRollback = false, int maxConcurrentUpdates = 500, TimeSpan? perDeviceTimeout = null, int? retries = null) =>
        new([.. percents.Select(p => new RolloutPhase(p, TimeSpan.Zero, 0.9, 0.05))], AutoRollback: autoRollback,
            MaxConcurrentUpdates: maxConcurrentUpdates, PerDeviceTimeout: perDeviceTimeout, Retries: retries);

    public static async Task<RolloutResponse> CreateAsync(HttpClient api, CreateRolloutRequest request)
    {
        using var created = await api.PostAsJsonAsync(RolloutHttp.RolloutsRoute, request, Cancellation);
        return (await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RolloutResponse>(Cancellation))!;
    }

    /// <summary>Posts an action (start, promote, …) and returns the rollout it left.</summary>
    public static async Task<RolloutResponse> ActAsync(HttpClient api, Guid rolloutId, string action)
    {
        using var response = await api.PostAsJsonAsync(RolloutHttp.Action(rolloutId, action), new RolloutActionRequest("end-to-end"), Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RolloutResponse>(Cancellation))!;
    }

    /// <summary>Creates the rollout over every active device of the release's types and starts it; all of them must be compatible.</summary>
    public static async Task<RolloutResponse> StartAsync(HttpClient api, Guid releaseId, double[] percents, bool autoRollback, int devices)
    {
        var rollout = await CreateAsync(api, new CreateRolloutRequest(releaseId, Plan: Plan(percents, autoRollback, devices)));
        rollout.Compatible.ShouldBe(devices);
        await ActAsync(api, rollout.Id, "start");
        return rollout;
    }

    public static async Task<RolloutResponse> GetAsync(HttpClient api, Guid id) =>
        (await api.GetFromJsonAsync<RolloutResponse>(RolloutHttp.Rollout(id), Cancellation))!;

    public static Task<RolloutResponse> WaitForStateAsync(HttpClient api, Guid id, string[] states, TimeSpan timeout) =>
        WaitForAsync(api, id, rollout => states.Contains(rollout.State), $"to end in one of {string.Join(", ", states)}", timeout);

    public static async Task<RolloutResponse> WaitForAsync(HttpClient api, Guid id, Func<RolloutResponse, bool> condition, string what, TimeSpan timeout)
    {
        RolloutResponse? rollout = null;
        await Eventually.TrueAsync(async () =>
        {
            rollout = await GetAsync(api, id);
            return condition(rollout);
        }, timeout, $"rollout {id} {what}", Cancellation);
        return rollout!;
    }

    /// <summary>The rollout's devices (at most one page of 500).</summary>
    public static async Task<IReadOnlyList<RolloutDeviceResponse>> RolloutDevicesAsync(HttpClient api, Guid id) =>
        (await api.GetFromJsonAsync<PagedList<RolloutDeviceResponse>>($"{RolloutHttp.Rollout(id)}/devices?pageSize=500", Cancellation))!.Items;

    /// <summary>Adds a boot failure to the simulator's faults in force, through its own API.</summary>
    public static Task SetBootFailureAsync(string simulatorUrl, string version, string hardwareRevision) =>
        SetFirmwareFaultAsync(simulatorUrl, "bootFailures", version, hardwareRevision);

    /// <summary>Puts one fault in the simulator's list <paramref name="list"/> (bootFailures, errorReports) for every device of <paramref name="version"/> on the revision.</summary>
    /// <param name="afterSeconds">For crashes: the uptime at which a device resets.</param>
    public static async Task SetFirmwareFaultAsync(string simulatorUrl, string list, string version, string hardwareRevision, int? afterSeconds = null)
    {
        using var simulator = new HttpClient { BaseAddress = new Uri(simulatorUrl) };
        var faults = JsonNode.Parse(await simulator.GetStringAsync("/faults", Cancellation))!.AsObject();
        var item = new JsonObject { ["version"] = version, ["hardwareRevision"] = hardwareRevision, ["percent"] = 100 };
        if (afterSeconds is { } seconds)
        {
            item["afterSeconds"] = seconds;
        }

        faults[list] = new JsonArray(item);
        using var response = await simulator.PutAsync("/faults", new StringContent(faults.ToJsonString(), System.Text.Encoding.UTF8, "application/json"), Cancellation);
        response.EnsureSuccessStatusCode();
    }
}
