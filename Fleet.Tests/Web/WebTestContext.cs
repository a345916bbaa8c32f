using System.Net.Http.Headers;
using Bunit;
using Fleet.Contracts;
using Fleet.Web.Services;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using MudBlazor;
using MudBlazor.Services;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>
/// A bUnit context with MudBlazor, a signed-in user (an admin unless a test names another role) and the UI's API client
/// pointed at a given HttpClient (an in-process API, or nowhere).
/// </summary>
public static class WebTestContext
{
    /// <param name="redis">For pages that follow a live channel (devices, device, alerts, commands); tests hand changes to a feed's
    /// <c>Publish</c> themselves, or start the feed to hear what an API publishes.</param>
    /// <param name="role">The signed-in user's role, which decides the controls the UI shows.</param>
    /// <param name="live">Live options instead of the tests' quick ones (50 ms batches, the API asked again every 200 ms while away).</param>
    public static BunitContext Create(HttpClient api, IConnectionMultiplexer? redis = null, string role = FleetRoles.Admin, LiveOptions? live = null)
    {
        var context = new BunitContext();
        context.AddAuthorization().SetAuthorized($"{role}-user").SetRoles(role);
        context.JSInterop.Mode = JSRuntimeMode.Loose;
        context.Services.AddMudServices();
        context.Services.AddSingleton(TimeProvider.System);
        context.Services.AddSingleton<ApiReachability>();
        context.Services.AddSingleton(services => new FleetApiClient(api, services.GetRequiredService<ApiReachability>(), NullLogger<FleetApiClient>.Instance));
        context.Services.AddSingleton(new ApiHealthProbe(api, TimeProvider.System));
        context.Services.AddScoped<DeviceActions>();
        context.Services.AddScoped<RolloutActions>();
        context.Services.AddScoped<AlertActions>();
        context.Services.AddSingleton(Options.Create(live ?? new LiveOptions { Throttle = TimeSpan.FromMilliseconds(50), ApiRetry = TimeSpan.FromMilliseconds(200) }));
        context.Services.AddSingleton(Options.Create(new FirmwareUploadOptions()));
        if (redis is not null)
        {
            context.Services.AddSingleton(services => new AlertFeed(redis, services.GetRequiredService<IOptions<LiveOptions>>(), TimeProvider.System, NullLogger<AlertFeed>.Instance));
            context.Services.AddSingleton(services => new CommandFeed(redis, services.GetRequiredService<IOptions<LiveOptions>>(), TimeProvider.System, NullLogger<CommandFeed>.Instance));
            context.Services.AddSingleton(services => new FleetStatusFeed(redis, services.GetRequiredService<IOptions<LiveOptions>>(), TimeProvider.System, NullLogger<FleetStatusFeed>.Instance));
            context.Services.AddSingleton(services => new DeviceChangeFeed(redis, services.GetRequiredService<IOptions<LiveOptions>>(), TimeProvider.System, NullLogger<DeviceChangeFeed>.Instance));
        }

        context.SetRendererInfo(new RendererInfo("Server", isInteractive: true));
        // Selects, menus and dialogs render into the popover and dialog providers.
        context.Render<MudPopoverProvider>();
        return context;
    }

    /// <summary>An HttpClient to the in-process API carrying the operator token, as the web's handler adds it.</summary>
    public static HttpClient OperatorClient(this Infrastructure.ApiFactory api)
    {
        var http = api.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, Infrastructure.ApiFactory.OperatorToken);
        return http;
    }

    /// <summary>Nothing listens on port 9 (discard) here: every call fails to connect, as when the API is down.</summary>
    public static HttpClient Unreachable() => new() { BaseAddress = new Uri("http://127.0.0.1:9"), Timeout = TimeSpan.FromSeconds(5) };
}
