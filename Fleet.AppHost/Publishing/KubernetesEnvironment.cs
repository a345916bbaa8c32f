using Fleet.AppHost.Hosting;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// Turns a project's wiring into container environment variables: settings from the <c>fleet-settings</c>
/// ConfigMap, secrets by reference into the generated <c>fleet-secrets</c> Secret, and connection strings
/// composed in the pod from a secret variable (<c>$(FLEET_SECRET_…)</c>), so no secret sits in a ConfigMap.
/// </summary>
public sealed class KubernetesEnvironment(PublishedModel model)
{
    public const string SettingsConfigMap = "fleet-settings";
    public const string SecretName = "fleet-secrets";
    public const string SecretVariablePrefix = "FLEET_SECRET_";

    /// <summary>Set on every .NET container, the way Aspire's deployment tools set them.</summary>
    public static IReadOnlyDictionary<string, string> DeploymentSettings { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
        ["ASPNETCORE_FORWARDEDHEADERS_ENABLED"] = "true",
        ["HTTP_PORTS"] = PublishedPorts.Http.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY"] = "in_memory",
    };

    /// <summary>Plain values the ConfigMap holds: a variable goes there when every project that sets it agrees on its value.</summary>
    public SortedDictionary<string, string> Settings(IEnumerable<ProjectResource> projects)
    {
        var settings = new SortedDictionary<string, string>(DeploymentSettings.ToDictionary(), StringComparer.Ordinal);
        foreach (var (name, value) in SharedPlainValues().Where(pair => projects.Any(project => model.Wiring(project).Any(variable => variable.Name == pair.Key))))
        {
            settings[name] = value;
        }

        return settings;
    }

    public List<V1EnvVar> For(ProjectResource project)
    {
        var shared = SharedPlainValues();
        var helpers = new List<V1EnvVar>();
        var variables = DeploymentSettings.Keys.Select(name => FromSettings(name)).ToList();
        foreach (var variable in model.Wiring(project))
        {
            variables.Add(variable.Value switch
            {
                ParameterValue { Prefix: "" } parameter => FromSecret(variable.Name, parameter.Parameter.Name),
                ParameterValue parameter => Plain(variable.Name, $"{parameter.Prefix}$({Helper(helpers, parameter.Parameter)})"),
                ConnectionStringValue connection => Plain(variable.Name, ConnectionString(connection.Resource, helpers)),
                _ when shared.ContainsKey(variable.Name) => FromSettings(variable.Name),
                _ => Plain(variable.Name, PlainValue(variable.Value)),
            });
        }

        // Kubernetes expands $(NAME) only from variables defined earlier in the list.
        return [.. helpers, .. variables];
    }

    /// <summary>The secret keys the publisher's pods read: every parameter of the model.</summary>
    public IEnumerable<string> SecretKeys => model.Parameters.Where(parameter => parameter.Secret).Select(parameter => parameter.Name);

    public static string HelperName(string parameter) => SecretVariablePrefix + parameter.ToUpperInvariant().Replace('-', '_');

    public static V1EnvVar Plain(string name, string value) => new() { Name = name, Value = value };

    public static V1EnvVar FromSecret(string name, string key) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = key } } };

    private static V1EnvVar FromSettings(string name) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = SettingsConfigMap, Key = name } } };

    private static string Helper(List<V1EnvVar> helpers, ParameterResource parameter)
    {
        var name = HelperName(parameter.Name);
        if (helpers.All(existing => existing.Name != name))
        {
            helpers.Add(FromSecret(name, parameter.Name));
        }

        return name;
    }

    private string ConnectionString(IResourceWithConnectionString resource, List<V1EnvVar> helpers) => resource switch
    {
        RedisResource redis => $"{redis.Name}:{PublishedPorts.Redis},password=$({Helper(helpers, model.PasswordOf(redis))})",
        PostgresServerResource server => $"Host={server.Name};Port={PublishedPorts.Postgres};Username=postgres;Password=$({Helper(helpers, model.PasswordOf(server))})",
        PostgresDatabaseResource database => $"{ConnectionString(database.Server, helpers)};Database={database.DatabaseName}",
        _ => throw new InvalidOperationException($"No Kubernetes connection string for {resource.Name}."),
    };

    public static string PlainValue(WiredValue value) => value switch
    {
        LiteralValue literal => literal.Value,
        EndpointUrlValue endpoint => $"http://{endpoint.Project.Name}:{PortOf(endpoint.Project, endpoint.Endpoint)}",
        _ => throw new InvalidOperationException($"{value} is not a plain value."),
    };

    public static int PortOf(ProjectResource project, string endpoint) =>
        endpoint == ProjectWiring.HttpEndpoint ? PublishedPorts.Http
        : project.ExtraEndpoints.SingleOrDefault(candidate => candidate.Name == endpoint)?.TargetPort
            ?? throw new InvalidOperationException($"{project.Name} has no endpoint '{endpoint}'.");

    private Dictionary<string, string> SharedPlainValues()
    {
        var values = model.Projects
            .SelectMany(project => model.Wiring(project))
            .Where(variable => variable.Value is LiteralValue or EndpointUrlValue)
            .GroupBy(variable => variable.Name, StringComparer.Ordinal)
            .Select(group => (group.Key, Values: group.Select(variable => PlainValue(variable.Value)).Distinct(StringComparer.Ordinal).ToList()))
            .Where(entry => entry.Values.Count == 1)
            .ToDictionary(entry => entry.Key, entry => entry.Values[0], StringComparer.Ordinal);
        return values;
    }
}
