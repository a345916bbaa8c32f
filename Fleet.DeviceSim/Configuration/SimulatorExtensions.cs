using Fleet.DeviceSim.Channels;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Identity;
using Fleet.DeviceSim.Updates;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim;

public static class SimulatorExtensions
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The simulator's services: options, fault injector, state file, the API client, the device channels and the fleet itself.</summary>
    public static IHostApplicationBuilder AddDeviceSimulator(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .Bind(builder.Configuration.GetSection(SimulatorOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
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
