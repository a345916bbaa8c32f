using Fleet.Web.Identity;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Fleet.Web.Services;

public static class FleetApiExtensions
{
    /// <summary>The API by its resource name; service discovery (<c>services__api__http__0</c>) resolves it.</summary>
    private static readonly Uri ApiAddress = new("http://api");

    public static IHostApplicationBuilder AddFleetApi(this IHostApplicationBuilder builder)
    {
        builder.Services.TryAddSingleton(TimeProvider.System);

        builder.Services.AddHttpClient<FleetApiClient>(http =>
            {
                http.BaseAddress = ApiAddress;
                // The standard resilience handler retries inside this budget; a page should not wait longer.
                http.Timeout = TimeSpan.FromSeconds(10);
            })
            .AddHttpMessageHandler<UserAccessTokenHandler>();

        var probe = builder.Services.AddHttpClient<ApiHealthProbe>(http =>
        {
            http.BaseAddress = ApiAddress;
            // The API's /health itself waits up to ~6 s when its Redis is down; shorter would report that as unreachable.
            http.Timeout = TimeSpan.FromSeconds(8);
        });
        // A probe reports what it sees now: retrying a 503 from /health would hide it. The API is marked experimental.
#pragma warning disable EXTEXP0001
        probe.RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001

        builder.Services.AddScoped<FleetOverview>();
        builder.Services.AddScoped<ApiReachability>();
        builder.Services.AddScoped<DeviceActions>();

        builder.Services.AddOptions<LiveOptions>().BindConfiguration(LiveOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<FirmwareUploadOptions>().BindConfiguration(FirmwareUploadOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<MapOptions>().BindConfiguration(MapOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<FleetStatusFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<FleetStatusFeed>());
        builder.Services.AddSingleton<DeviceChangeFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DeviceChangeFeed>());
        builder.Services.AddSingleton<AlertFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AlertFeed>());
        builder.Services.AddSingleton<CommandFeed>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CommandFeed>());
        builder.Services.AddScoped<RolloutActions>();
        builder.Services.AddScoped<AlertActions>();
        return builder;
    }
}
