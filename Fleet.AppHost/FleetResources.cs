using Microsoft.Extensions.Configuration;

namespace Fleet.AppHost;

/// <summary>Fleet's app model in Aspire's API: what runs, what it references and waits for.</summary>
public static class FleetResources
{
    public const string Cache = "cache";
    public const string Postgres = "postgres";
    public const string Database = "fleetdb";
    public const string Mqtt = "mqtt";
    public const string Migrations = "migrations";
    public const string Api = "api";

    /// <summary>Puts DCP's endpoint proxy in front of a single api replica too (as several always have), to measure its cost.</summary>
    public const string ApiProxiedKey = "Fleet:ApiProxied";
    public const string Web = "web";
    public const string Devices = "devices";
    public const string OperatorToken = "operator-token";
    public const string EnrollmentToken = "enrollment-token";
    public const string AdminPassword = "admin-password";
    public const string WebClientSecret = "web-client-secret";
    public const string SimulatorToken = "simulator-token";
    public const string IssuerSigningKey = "issuer-signing-key";

    public static void AddFleet(this IDistributedApplicationBuilder builder)
    {
        var devices = AppHostCommandLine.ReadBounded(AppHostCommandLine.DevicesKey, builder.Configuration[AppHostCommandLine.DevicesKey], 25);
        var apiReplicas = AppHostCommandLine.ReadBounded(AppHostCommandLine.ApiReplicasKey, builder.Configuration[AppHostCommandLine.ApiReplicasKey], 1);
        var token = new GenerateParameterDefault { MinLength = 32, Special = false };
        var operatorToken = builder.AddParameter(OperatorToken, token, secret: true, persist: true);
        var enrollmentToken = builder.AddParameter(EnrollmentToken, token, secret: true, persist: true);
        var adminPassword = builder.AddParameter(AdminPassword, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: true);
        var webClientSecret = builder.AddParameter(WebClientSecret, token, secret: true, persist: true);
        var simulatorToken = builder.AddParameter(SimulatorToken, token, secret: true, persist: true);
        // One signing key for every api replica: a token one replica issued is valid at the others.
        var signingKey = (builder.ExecutionContext.IsPublishMode
                ? builder.AddParameter(IssuerSigningKey, secret: true)
                : builder.AddParameter(IssuerSigningKey, new IssuerKeyDefault(), secret: true, persist: true))
            .WithDescription("An RSA private key (2048 bits or more), PKCS#8 DER in base64 on one line: "
                + "`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -outform DER | base64 -w0`.");

        var containers = BackingServices.UseContainers(builder);
        var cache = builder.AddFleetRedis(Cache, containers);
        var fleetdb = builder.AddFleetPostgresDatabase(Postgres, Database, containers);
        var mqtt = builder.AddFleetMqtt(Mqtt, containers);

        // Declared before the api: the api's issuer needs the web's address (its redirect URIs) while the web references the api.
        var web = builder.AddProject<Projects.Fleet_Web>(Web).WithHttpEndpoint();
        var webUrl = web.GetEndpoint("http");

        // One process applies migrations and exits; the api replicas wait for it instead of racing each other.
        var migrations = builder.AddProject<Projects.Fleet_Api>(Migrations)
            .WithArgs("--migrate")
            .WithReference(fleetdb).WaitFor(fleetdb)
            .WithIdentityEnvironment(adminPassword, webClientSecret, signingKey, webUrl)
            .WithServiceEnvironment(builder);

        // One replica is reached directly: DCP's proxy would be one more hop on every device request (measured in the
        // README; bench/small-messages.sh with PROXY=1). Several replicas need it, as the one address that spreads requests over them.
        var api = builder.AddProject<Projects.Fleet_Api>(Api)
            .WithHttpEndpoint(isProxied: apiReplicas > 1 || builder.Configuration.GetValue<bool>(ApiProxiedKey))
            .WithReference(cache).WaitFor(cache)
            .WithReference(mqtt).WaitFor(mqtt)
            .WithReference(fleetdb).WaitForCompletion(migrations)
            .WithEnvironment("Fleet__OperatorToken", operatorToken)
            .WithEnvironment("Fleet__EnrollmentToken", enrollmentToken)
            .WithIdentityEnvironment(adminPassword, webClientSecret, signingKey, webUrl)
            .WithServiceEnvironment(builder)
            .WithReplicas(apiReplicas)
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints();

        // The web holds no operator token: it calls the api with the signed-in user's tokens.
        web.WithReference(api).WaitFor(api)
            .WithReference(cache)
            .WithEnvironment("Fleet__Identity__Authority", api.GetEndpoint("http"))
            .WithEnvironment("Fleet__Identity__ClientSecret", webClientSecret)
            .WithServiceEnvironment(builder)
            .WithHttpHealthCheck("/health")
            .WithExternalHttpEndpoints();

        // Deployed, the simulator keeps its identities in the pod's writable /tmp (a new pod registers new devices).
        var simulatorState = builder.ExecutionContext.IsPublishMode
            ? "/tmp/fleet/simulator/devices.json"
            : Path.Combine(StateFolder.Of(builder), "simulator", "devices.json");
        // Devices get the broker's address only, never the admin's credentials a reference would carry.
        var broker = ((IResourceWithEndpoints)mqtt.Resource).GetEndpoint(MqttBroker.EndpointName);
        builder.AddProject<Projects.Fleet_DeviceSim>(Devices)
            .WithHttpEndpoint()
            .WithReference(api).WaitFor(api)
            .WaitFor(mqtt)
            .WithEnvironment("Fleet__Mqtt__Host", broker.Property(EndpointProperty.Host))
            .WithEnvironment("Fleet__Mqtt__Port", broker.Property(EndpointProperty.Port))
            .WithEnvironment("Fleet__EnrollmentToken", enrollmentToken)
            .WithEnvironment("Fleet__Devices", devices.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Fleet__Simulator__StateFile", simulatorState)
            .WithEnvironment("Fleet__Simulator__FaultsToken", simulatorToken)
            .WithServiceEnvironment(builder)
            .WithHttpHealthCheck("/health");
    }

    /// <summary>What the api's issuer and its migrations need: the first admin's password, the web as a client, the signing key.</summary>
    private static IResourceBuilder<ProjectResource> WithIdentityEnvironment(
        this IResourceBuilder<ProjectResource> project,
        IResourceBuilder<ParameterResource> adminPassword,
        IResourceBuilder<ParameterResource> webClientSecret,
        IResourceBuilder<ParameterResource> signingKey,
        EndpointReference webUrl) =>
        project.WithEnvironment("Fleet__Identity__AdminPassword", adminPassword)
            .WithEnvironment("Fleet__Identity__ClientSecret", webClientSecret)
            .WithEnvironment("Fleet__Identity__SigningKey", signingKey)
            .WithEnvironment("Fleet__Identity__WebUrl", webUrl);

    /// <summary>
    /// DCP starts projects without their launch profiles, so they would run as Production: they get the AppHost's
    /// environment instead. Settings given to the AppHost as <c>Fleet__*</c> variables reach every service.
    /// </summary>
    private static IResourceBuilder<ProjectResource> WithServiceEnvironment(this IResourceBuilder<ProjectResource> project, IDistributedApplicationBuilder builder)
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            return project;
        }

        return project.WithEnvironment(context =>
        {
            context.EnvironmentVariables["ASPNETCORE_ENVIRONMENT"] = builder.Environment.EnvironmentName;
            foreach (var (key, value) in builder.Configuration.AsEnumerable())
            {
                if (value is not null && key.StartsWith("Fleet:", StringComparison.OrdinalIgnoreCase) && !IsAppHostOnly(key))
                {
                    context.EnvironmentVariables[key.Replace(":", "__", StringComparison.Ordinal)] = value;
                }
            }
        });
    }

    private static bool IsAppHostOnly(string key) =>
        key.Equals(AppHostCommandLine.DevicesKey, StringComparison.OrdinalIgnoreCase)
        || key.Equals(AppHostCommandLine.ApiReplicasKey, StringComparison.OrdinalIgnoreCase)
        || key.Equals(AppHostCommandLine.StateDirectoryKey, StringComparison.OrdinalIgnoreCase)
        || key.Equals(AppHostCommandLine.BackingServicesKey, StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Fleet:Postgres:", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Fleet:Redis:", StringComparison.OrdinalIgnoreCase)
        || key.StartsWith("Fleet:Mqtt:", StringComparison.OrdinalIgnoreCase);
}
