using Fleet.AppHost.Running;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.EndToEnd;

/// <summary>
/// The AppHost (its own Program.cs, through Aspire.Hosting.Testing) with a simulated fleet tuned for rollouts (a fast controller, one-second reboots,
/// frequent heartbeats), running until disposed; ready once every resource is healthy and every device active and
/// reporting its firmware.
/// Serves as a class fixture where a class's tests can share one app.
/// </summary>
public class RunningFleet(string purpose, int devices, params string[] arguments) : IAsyncLifetime
{
    private readonly string _stateDirectory = TestDirectories.Create(purpose);
    private RunningAppHost? _appHost;
    private HttpClient? _api;

    public int Devices => devices;

    public RunningAppHost AppHost => _appHost ?? throw new InvalidOperationException("Not started.");

    public AppHostState State { get; private set; } = null!;

    /// <summary>The operator API on the first replica.</summary>
    public HttpClient Api => _api ?? throw new InvalidOperationException("Not started.");

    /// <summary>Settings for the AppHost, which hands them to the services; subclasses add to them.</summary>
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
        _appHost = await FleetAppHost.StartAsync(_stateDirectory, ["--devices", devices.ToString(), .. arguments], Environment, cancellation);
        State = _appHost.State;
        _api = FleetAppHost.OperatorApi(State, TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(async () => (await FleetOperator.StatsAsync(_api)).ByLifecycle.GetValueOrDefault("active") == devices,
            TimeSpan.FromMinutes(2), $"all {devices} devices registered and active", cancellation);
        await Eventually.TrueAsync(async () => (await FleetOperator.DevicesAsync(_api)).All(d => !string.IsNullOrEmpty(d.Firmware)),
            TimeSpan.FromMinutes(1), $"all {devices} devices listed with the firmware they report", cancellation);
    }

    /// <summary>The release's device types for a rollout over the whole fleet: every type it has.</summary>
    public async Task<string> TypesAsync() => string.Join(",", (await FleetOperator.StatsAsync(Api)).ByType.Keys);

    public async ValueTask DisposeAsync()
    {
        _api?.Dispose();
        if (_appHost is not null)
        {
            await _appHost.DisposeAsync();
        }

        TestDirectories.Delete(_stateDirectory);
        GC.SuppressFinalize(this);
    }
}
