using Aspire.Hosting.Lifecycle;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Fleet.AppHost.Running;

public static class RunningAppServices
{
    /// <summary>
    /// The crash restarter and apphost.json's writer, started before any resource (Aspire's own hosted services hold
    /// the host's start until resources run, so hosted services of ours would start too late) and stopped with the app.
    /// </summary>
    public static void AddRunningAppServices(this IDistributedApplicationBuilder builder)
    {
        builder.Services.AddSingleton<CrashRestarts>();
        builder.Services.AddSingleton<AppHostStateWriter>();
        builder.Eventing.Subscribe<BeforeStartEvent>(async (@event, cancellationToken) =>
        {
            var lifetime = @event.Services.GetRequiredService<IHostApplicationLifetime>();
            IHostedService[] services = [@event.Services.GetRequiredService<CrashRestarts>(), @event.Services.GetRequiredService<AppHostStateWriter>()];
            foreach (var service in services)
            {
                await service.StartAsync(cancellationToken);
                lifetime.ApplicationStopping.Register(() => service.StopAsync(CancellationToken.None).GetAwaiter().GetResult());
            }
        });
    }
}
