using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Fleet.Contracts;

namespace Fleet.AppHost;

/// <summary>
/// Mosquitto 2 for the app model: Debian's broker under DCP with its data in the state folder, or the eclipse-mosquitto
/// container (always when publishing). Either way it refuses anonymous clients and authenticates through the dynamic
/// security plugin, whose file starts with one admin client, <see cref="AdminUser"/>, whose password is the
/// <c>{name}-password</c> parameter. References get <c>ConnectionStrings__{name}</c> as
/// <c>Host=...;Port=...;Username=fleet-admin;Password=...</c> (the same key=value form as PostgreSQL's).
/// </summary>
public static class MqttBroker
{
    public const string AdminUser = "fleet-admin";
    public const string EndpointName = "mqtt";
    public const int Port = 1883;
    public const string Image = "eclipse-mosquitto";
    public const string ImageTag = "2";
    public const string ContainerDataDirectory = "/mosquitto/data";
    public const string DynamicSecurityFileName = "dynamic-security.json";
    public const string DeviceAclFileName = "device-acl.conf";

    private static readonly string[] PluginDirectories = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib", "/usr/local/lib"];

    public static IResourceBuilder<IResourceWithConnectionString> AddFleetMqtt(this IDistributedApplicationBuilder builder, string name, bool containers)
    {
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        string? connectionString = null;
        var healthCheck = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthCheck, _ => new MqttAdminHealthCheck(() => connectionString), failureStatus: null, tags: null));

        if (containers)
        {
            var container = new MosquittoContainerResource(name, password);
            builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(container, async (_, cancellationToken) =>
                connectionString = await ((IResourceWithConnectionString)container).GetConnectionStringAsync(cancellationToken));
            return builder.AddResource(container)
                .WithImage(Image, ImageTag)
                .WithImageRegistry("docker.io")
                .WithEndpoint(targetPort: Port, name: EndpointName, scheme: "tcp", isExternal: true)
                .WithVolume($"fleet-{name}-data", ContainerDataDirectory)
                .WithEnvironment("MQTT_ADMIN_PASSWORD", password)
                .WithEntrypoint("/bin/sh")
                .WithArgs("-c", MosquittoContainerResource.StartScript)
                .WithHealthCheck(healthCheck);
        }

        var mosquitto = BackingServices.FindOnPath("mosquitto")
            ?? throw new AppHostUsageException($"mosquitto was not found and no container engine answers. {BackingServices.InstallHint}");
        var control = BackingServices.FindOnPath("mosquitto_ctrl")
            ?? throw new AppHostUsageException($"mosquitto_ctrl was not found (Debian's mosquitto package ships it). {BackingServices.InstallHint}");
        var plugin = FindDynamicSecurityPlugin(builder.Configuration["Fleet:Mqtt:DynamicSecurityPlugin"])
            ?? throw new AppHostUsageException($"mosquitto_dynamic_security.so was not found (set Fleet:Mqtt:DynamicSecurityPlugin). {BackingServices.InstallHint}");
        var broker = new LocalMosquittoResource(name, mosquitto, Path.Combine(StateFolder.Of(builder), name), password);

        builder.Eventing.Subscribe<ConnectionStringAvailableEvent>(broker, async (_, cancellationToken) =>
            connectionString = await ((IResourceWithConnectionString)broker).GetConnectionStringAsync(cancellationToken));
        builder.Eventing.Subscribe<BeforeResourceStartedEvent>(broker, async (@event, cancellationToken) =>
        {
            try
            {
                await broker.PrepareAsync(control, plugin, cancellationToken);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                BackingServices.FailApp(@event.Services, $"Mosquitto could not be prepared in {broker.DataDirectory}: {exception.Message}");
                throw;
            }
        });

        return builder.AddResource(broker)
            .WithEndpoint(EndpointName, endpoint =>
            {
                endpoint.UriScheme = "tcp";
                endpoint.IsProxied = false;
            })
            .WithArgs("-c", broker.ConfigurationFile)
            .WithHealthCheck(healthCheck);
    }

    /// <summary>The broker's settings, one per line: the local process and the container differ only in paths and listener.</summary>
    public static string[] Configuration(string listener, string dataDirectory, string plugin) =>
    [
        listener,
        "allow_anonymous false",
        "persistence true",
        $"persistence_location {dataDirectory.TrimEnd('/')}/",
        "autosave_interval 60",
        "log_dest stdout",
        "log_type error",
        "log_type warning",
        "log_type notice",
        // The collector's queue while a replica restarts: the default 1,000 would drop readings the broker already acknowledged.
        "max_queued_messages 1000000",
        // Devices' topics: the dynamic security plugin answers for clients with roles (the api) and defers the rest here.
        $"acl_file {Path.Combine(dataDirectory, DeviceAclFileName)}",
        $"plugin {plugin}",
        $"plugin_opt_config_file {Path.Combine(dataDirectory, DynamicSecurityFileName)}",
    ];

    /// <summary>
    /// The devices' access, one pattern per topic with <c>%u</c> (the username, which is the device id): a device publishes
    /// only its own up topics and receives only its own down topics. Dynamic security 2.0 has no such patterns, so a role
    /// per device would be needed, and every change there rewrites its whole file; one static file scales with the fleet.
    /// </summary>
    public static string[] DeviceAcl() =>
    [
        .. FleetMqtt.DeviceUpTopics.Select(kind => $"pattern write {FleetMqtt.Root}/%u/{kind}"),
        .. FleetMqtt.DeviceDownTopics.Select(kind => $"pattern read {FleetMqtt.Root}/%u/{kind}"),
    ];

    internal static string? FindDynamicSecurityPlugin(string? configured) =>
        configured is not null
            ? File.Exists(configured) ? configured : null
            : PluginDirectories.Select(directory => Path.Combine(directory, "mosquitto_dynamic_security.so"))
                .FirstOrDefault(File.Exists);
}

/// <summary>mosquitto under DCP, as the AppHost's user (like redis-server); config, persistence and the dynamic security file are owner-only.</summary>
public sealed class LocalMosquittoResource(string name, string command, string dataDirectory, ParameterResource password)
    : ExecutableResource(name, command, dataDirectory), IResourceWithConnectionString
{
    public ParameterResource Password { get; } = password;

    public string DataDirectory { get; } = dataDirectory;

    public string ConfigurationFile => Path.Combine(DataDirectory, "mosquitto.conf");

    public string DynamicSecurityFile => Path.Combine(DataDirectory, MqttBroker.DynamicSecurityFileName);

    public EndpointReference Endpoint => new(this, MqttBroker.EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host=127.0.0.1;Port={Endpoint.Property(EndpointProperty.Port)};Username={MqttBroker.AdminUser};Password={Password}");

    /// <summary>Writes the config for the port DCP allocated and brings the admin's password in the dynamic security file up to date.</summary>
    internal async Task PrepareAsync(string control, string plugin, CancellationToken cancellationToken)
    {
        OwnerOnly.CreateFolder(DataDirectory);
        var port = await Endpoint.Property(EndpointProperty.TargetPort).GetValueAsync(cancellationToken);
        // Root stays root, as redis-server does here: dropping to the mosquitto account would need the state folder handed to it.
        string[] user = Environment.UserName == "root" ? ["user root"] : [];
        await OwnerOnly.WriteLinesAsync(ConfigurationFile, [.. user, .. MqttBroker.Configuration($"listener {port} 127.0.0.1", DataDirectory, plugin)], cancellationToken);
        await OwnerOnly.WriteLinesAsync(Path.Combine(DataDirectory, MqttBroker.DeviceAclFileName), MqttBroker.DeviceAcl(), cancellationToken);
        await DynamicSecurity.EnsureAdminAsync(control, DynamicSecurityFile, MqttBroker.AdminUser, await Password.GetValueAsync(cancellationToken) ?? "", cancellationToken);
    }
}

/// <summary>The eclipse-mosquitto image with the same settings, written by its start script into the data volume.</summary>
public sealed class MosquittoContainerResource(string name, ParameterResource password) : ContainerResource(name), IResourceWithConnectionString
{
    /// <summary>
    /// The config holds no secret; the admin is created once from <c>MQTT_ADMIN_PASSWORD</c> (a Secret in Kubernetes). Written
    /// without <c>$(</c>, which Kubernetes would read as a variable reference in args.
    /// </summary>
    public static readonly string StartScript = string.Join('\n',
    [
        "set -e",
        $"cd {MqttBroker.ContainerDataDirectory}",
        $"printf '%s\\n' {string.Join(' ', MqttBroker.Configuration($"listener {MqttBroker.Port}", MqttBroker.ContainerDataDirectory, "/usr/lib/mosquitto_dynamic_security.so").Select(line => $"'{line}'"))} > mosquitto.conf",
        $"printf '%s\\n' {string.Join(' ', MqttBroker.DeviceAcl().Select(line => $"'{line}'"))} > {MqttBroker.DeviceAclFileName}",
        $"if [ ! -f {MqttBroker.DynamicSecurityFileName} ]; then mosquitto_ctrl dynsec init {MqttBroker.DynamicSecurityFileName} {MqttBroker.AdminUser} \"$MQTT_ADMIN_PASSWORD\" >/dev/null; fi",
        $"chmod 600 {MqttBroker.DynamicSecurityFileName}",
        // Docker runs the image as root and mosquitto then drops to its own account, which must own what it reads and saves.
        "if [ \"`id -u`\" = 0 ]; then chown -R mosquitto:mosquitto .; fi",
        "exec mosquitto -c mosquitto.conf",
    ]);

    public ParameterResource Password { get; } = password;

    public EndpointReference Endpoint => new(this, MqttBroker.EndpointName);

    public ReferenceExpression ConnectionStringExpression =>
        ReferenceExpression.Create($"Host={Endpoint.Property(EndpointProperty.Host)};Port={Endpoint.Property(EndpointProperty.Port)};Username={MqttBroker.AdminUser};Password={Password}");
}
