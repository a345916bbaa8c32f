using Microsoft.Extensions.Options;
using Fleet.Api.Alerts;
using Fleet.Api.Commands;
using Fleet.Api.Devices;
using Fleet.Api.Firmware;
using Fleet.Api.Identity;
using Fleet.Api.Infrastructure;
using Fleet.Api.Mqtt;
using Fleet.Api.Rollouts;
using Fleet.Api.Stats;
using Fleet.Api.Status;
using Fleet.Api.Telemetry;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace Fleet.Api.Extensions;

public static class Extensions
{
    public static IHostApplicationBuilder AddApplicationServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FleetOptions>()
            .Bind(builder.Configuration.GetSection(FleetOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();

        // Aspire's client integrations: connection strings as the AppHost injects them, health checks, tracing, retries.
        // One NpgsqlDataSource serves EF Core and the COPY writer alike.
        builder.AddRedisClient("cache", configureOptions: options => options.AbortOnConnectFail = false);
        builder.AddNpgsqlDataSource("fleetdb");
        builder.Services.AddDbContextPool<FleetDbContext>((services, options) => options
            .UseNpgsql(services.GetRequiredService<NpgsqlDataSource>())
            .UseSnakeCaseNamingConvention());
        // The data source's check (PostgreSql) already probes the database; a second one per DbContext adds nothing.
        builder.EnrichNpgsqlDbContext<FleetDbContext>(settings => settings.DisableHealthChecks = true);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        builder.Services.AddExceptionHandler<StoreUnavailableExceptionHandler>();
        // In every environment, not only Development: unreadable bodies reach BadRequestExceptionHandler and say why.
        builder.Services.Configure<RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        builder.Services.AddOpenApi(openApi => openApi.AddOperationTransformer<FleetRoleTransformer>());
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(new FleetTextConverter()));

        builder.Services.AddSingleton<DatabaseMigrator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DatabaseMigrator>());
        builder.Services.AddHealthChecks().AddCheck<DatabaseMigrator.ReadinessCheck>("migrations");

        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<DeviceKeyCache>();
        builder.Services.AddHostedService<DeviceKeyInvalidation>();
        builder.Services.AddSingleton<DeviceKeyHasher>();
        builder.Services.AddScoped<DeviceRegistration>();
        builder.Services.AddSingleton<ReEnrollment>();
        builder.Services.AddScoped<CurrentDevice>();
        builder.Services.AddSingleton<DeviceChangeNotifier>();
        builder.Services.AddSingleton<DeviceHeartbeatMirror>();
        builder.Services.AddSingleton<DeviceHeartbeats>();
        builder.Services.AddOptions<HeartbeatOptions>()
            .Bind(builder.Configuration.GetSection(HeartbeatOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<HeartbeatRateLimiter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<HeartbeatRateLimiter>());
        builder.Services.AddHostedService(services => services.GetRequiredService<DeviceHeartbeatMirror>());
        builder.AddFleetIdentity();
        builder.AddTelemetry();
        builder.AddDeviceStatus();
        builder.AddAlerts();
        builder.AddFirmware();
        builder.AddRollouts();
        builder.AddCommands();
        builder.AddMqtt();
        return builder;
    }

    /// <summary>With <c>ConnectionStrings:mqtt</c>, devices get broker identities and the collector takes their messages; without it, HTTP only.</summary>
    private static void AddMqtt(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<MqttOptions>()
            .BindConfiguration(MqttOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        var broker = MqttBrokerAddress.From(builder.Configuration);
        builder.Services.AddSingleton(services => new MqttDownlink(
            broker, services.GetRequiredService<IOptions<MqttOptions>>(), services.GetRequiredService<TimeProvider>(), services.GetRequiredService<ILogger<MqttDownlink>>()));
        if (broker is null)
        {
            builder.Services.AddSingleton(new BrokerDeviceIdentities(null));
            return;
        }

        builder.Services.AddSingleton(broker);
        builder.Services.AddSingleton<BrokerControl>();
        builder.Services.AddSingleton(services => new BrokerDeviceIdentities(services.GetRequiredService<BrokerControl>()));
        builder.Services.AddSingleton<MqttDeviceDirectory>();
        builder.Services.AddSingleton<MqttDrops>();
        builder.Services.AddSingleton<MqttReportBudget>();
        builder.Services.AddSingleton<MqttIngest>();
        builder.Services.AddSingleton<MqttCollector>();
        builder.Services.AddHostedService(services => services.GetRequiredService<MqttCollector>());
        builder.Services.AddHealthChecks().AddCheck<MqttCollectorHealthCheck>("mqtt-collector");
    }

    private static void AddAlerts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<AlertOptions>()
            .Bind(builder.Configuration.GetSection(AlertOptions.Section))
            .ValidateDataAnnotations()
            .Validate(options => options.WebhookAllowedNetworks.All(network => System.Net.IPNetwork.TryParse(network, out _)),
                "Fleet:Alerts:WebhookAllowedNetworks holds networks in CIDR notation, e.g. 10.20.0.0/16.")
            .ValidateOnStart();
        builder.Services.AddSingleton<WebhookTargets>();
        builder.Services.AddSingleton<AlertSignals>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AlertSignals>());
        builder.Services.AddSingleton<AlertWindows>();
        builder.Services.AddSingleton<AlertMetrics>();
        // No proxy, and every connection goes through WebhookTargets, redirects included.
        builder.Services.AddHttpClient(AlertNotifier.WebhookClient).ConfigurePrimaryHttpMessageHandler(services => new SocketsHttpHandler
        {
            UseProxy = false,
            ConnectCallback = services.GetRequiredService<WebhookTargets>().ConnectAsync,
        });
        builder.Services.AddSingleton<AlertNotifier>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AlertNotifier>());
        builder.Services.AddSingleton<AlertEvaluator>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AlertEvaluator>());
    }

    private static void AddDeviceStatus(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StatusOptions>()
            .Bind(builder.Configuration.GetSection(StatusOptions.Section))
            .ValidateDataAnnotations()
            .Validate(options => options.OfflineAfter > options.AtRiskAfter, "Fleet:Status:OfflineAfter must be longer than AtRiskAfter.")
            .ValidateOnStart();
        builder.Services.AddSingleton<LeaderLock>();
        builder.Services.AddSingleton<FleetMetrics>();
        builder.Services.AddSingleton<DeviceStatusTracker>();
        builder.Services.AddSingleton<DeviceStatusRecorder>();
        builder.Services.AddHostedService<StatusSweeper>();
    }

    private static void AddTelemetry(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TelemetryOptions>()
            .Bind(builder.Configuration.GetSection(TelemetryOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<TelemetryPartitions>();
        builder.Services.AddSingleton<TelemetryMetrics>();
        builder.Services.AddSingleton<TelemetryRateLimiter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TelemetryRateLimiter>());
        builder.Services.AddSingleton<TelemetryLog>();
        builder.Services.AddSingleton<TelemetryWriter>();
        builder.Services.AddSingleton<TelemetryIngest>();
        builder.Services.AddHostedService(services => services.GetRequiredService<TelemetryWriter>());
        // Device calls and group commits come by the thousand a second: tracing each would cost more than ingesting it.
        builder.Services.Configure<TraceBudgetOptions>(tracing =>
        {
            tracing.BudgetedPaths.Add(FleetHttp.DeviceRoutesPrefix);
            tracing.BudgetedSpans.Add(TelemetryWriter.WriteSpanName);
        });
        builder.Services.AddHostedService<TelemetryRetention>();
        builder.Services.AddOptions<IngestRateOptions>()
            .Bind(builder.Configuration.GetSection(IngestRateOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IngestCounter>();
    }

    private static void AddFirmware(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<FirmwareOptions>()
            .Bind(builder.Configuration.GetSection(FirmwareOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
    }

    private static void AddRollouts(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutOptions>()
            .Bind(builder.Configuration.GetSection(RolloutOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddScoped<RolloutCommands>();
        builder.Services.AddSingleton<RolloutDeviceProgress>();
        builder.Services.AddSingleton<RolloutEngine>();
        builder.Services.AddSingleton<DeviceHealthMarks>();
        builder.Services.AddSingleton<RolloutMetrics>();
        builder.Services.AddSingleton<DeviceChannelHub>();
        builder.Services.AddHostedService<RolloutController>();
    }

    private static void AddCommands(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<CommandOptions>()
            .Bind(builder.Configuration.GetSection(CommandOptions.Section))
            .ValidateDataAnnotations()
            .Validate(options => options.DefaultTtlSeconds <= options.MaxTtlSeconds, "Fleet:Commands:DefaultTtlSeconds must not exceed MaxTtlSeconds.")
            .Validate(options => options.MinIntervalSeconds <= options.MaxIntervalSeconds, "Fleet:Commands:MinIntervalSeconds must not exceed MaxIntervalSeconds.")
            .ValidateOnStart();
        builder.Services.AddSingleton<CommandMetrics>();
        builder.Services.AddSingleton<CommandDeliveries>();
        builder.Services.AddScoped<CommandSender>();
        builder.Services.AddScoped<CommandCancellation>();
        builder.Services.AddSingleton<CommandSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CommandSweeper>());
    }
}
