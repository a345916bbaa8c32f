using Fleet.AppHost.Hosting.Orchestration;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>
/// The AppHost as a process with a simulated fleet tuned for rollouts (a fast controller, one-second reboots,
/// frequent heartbeats), running until disposed; ready once every resource is healthy and every device active and
/// reporting its firmware.
/// Serves as a class fixture where a class's tests can share one app.
/// </summary>
public class RunningFleet(string purpose, int devices, params string[] arguments) : IAsyncLifetime
{
    private readonly string _stateDirectory = TestDirectories.Create(purpose);
    private AppHostProcess? _appHost;
    private HttpClient? _api;

    public int Devices => devices;

    public AppHostProcess AppHost => _appHost ?? throw new InvalidOperationException("Not started.");

    public AppHostState State { get; private set; } = null!;

    /// <summary>The operator API on the first replica.</summary>
    public HttpClient Api => _api ?? throw new InvalidOperationException("Not started.");

    /// <summary>Environment for the AppHost (its children inherit it); subclasses add to it.</summary>
    protected virtual IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["Fleet__Rollouts__TickInterval"] = "00:00:00.500",
        ["Fleet__Simulator__RebootSeconds"] = "1",
        ["Fleet__Simulator__HeartbeatSeconds"] = "2",
        ["Fleet__HeartbeatMirrorInterval"] = "00:00:01",
    };

    public async ValueTask InitializeAsync()
    {
        var cancellation = TestContext.Current.CancellationToken;
        _appHost = FleetAppHost.StartProcess(_stateDirectory, Environment, ["--devices", devices.ToString(), "--no-dashboard", .. arguments]);
        State = await _appHost.WaitUntilHealthyAsync(TimeSpan.FromMinutes(3), cancellation);
        _api = FleetAppHost.OperatorApi(State, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await FleetOperator.StatsAsync(_api)).ByLifecycle.GetValueOrDefault("active") == devices,
            TimeSpan.FromMinutes(2), $"all {devices} devices registered and active", cancellation);
        await Eventually.TrueAsync(async () => (await FleetOperator.DevicesAsync(_api)).All(d => !string.IsNullOrEmpty(d.Firmware)),
            TimeSpan.FromMinutes(1), $"all {devices} devices listed with the firmware they report", cancellation);
    }

    /// <summary>The release's device types for a rollout over the whole fleet: every type it has.</summary>
    public async Task<string> TypesAsync() => string.Join(",", (await FleetOperator.StatsAsync(Api)).ByType.Keys);

    public ValueTask DisposeAsync()
    {
        _api?.Dispose();
        _appHost?.Dispose();
        TestDirectories.Delete(_stateDirectory);
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }
}
