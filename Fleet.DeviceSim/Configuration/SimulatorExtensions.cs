using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Fleet.DeviceSim;

public static class SimulatorExtensions
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Tag combinations kept per metric stream. The simulator's metrics have a handful each (one API, a few routes),
    /// and the SDK's default of 2000 preallocates 2000 points for each of its ~80 streams: about 12 MB held for nothing.
    /// </summary>
    private const int MetricCardinalityLimit = 100;

    /// <summary>The simulator's services: options, fault injector, state file, the API client, the device channels and the fleet itself.</summary>
    public static IHostApplicationBuilder AddDeviceSimulator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .Bind(builder.Configuration.GetSection(SimulatorOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics =>
            metrics.AddView(_ => new MetricStreamConfiguration { CardinalityLimit = MetricCardinalityLimit }));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<SimulatorStatus>();
        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
            return new FaultInjector(settings.Simulator.Faults, settings.Simulator.Seed);
        });
        var contentRoot = builder.Environment.ContentRootPath;
        builder.Services.AddSingleton(services =>
        {
            var settings = services.GetRequiredService<IOptions<SimulatorOptions>>().Value;
            return new DeviceIdentityFile(string.IsNullOrWhiteSpace(settings.Simulator.StateFile)
                ? DeviceIdentityFile.DefaultPath(contentRoot, settings.EnrollmentToken)
                : Path.GetFullPath(settings.Simulator.StateFile, contentRoot));
        });

        // The simulator backs off and retries by itself, device by device (Retry-After, exponential backoff):
        // the standard handler's shared retries and circuit breaker would fight it and stall the whole fleet.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked for evaluation; it is the documented way to opt one client out.
        builder.Services.AddHttpClient<FleetApiClient>(http =>
            {
                http.BaseAddress = new Uri("http://api");
                http.Timeout = RequestTimeout;
            })
            .RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<DeviceReporter>();
        builder.Services.AddSingleton<FirmwareDownloader>();
        builder.Services.AddSingleton<IDeviceChannelConnector, WebSocketChannelConnector>();
        builder.Services.AddSingleton<DeviceChannels>();
        builder.Services.AddSingleton<FleetSimulator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FleetSimulator>());
        return builder;
    }
}
