using System.Globalization;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// Turns the values Aspire's model gives a resource into container environment variables and arguments: shared plain
/// values from the <c>fleet-settings</c> ConfigMap, secret parameters by reference into the generated <c>fleet-secrets</c>
/// Secret, and values that embed a secret (connection strings) composed in the pod from a <c>$(FLEET_SECRET_…)</c>
/// variable, so no secret sits in a ConfigMap or a manifest. Endpoints become their Service's in-cluster address.
/// </summary>
public sealed class KubernetesEnvironment(PublishedApp app)
{
    public const string SettingsConfigMap = "fleet-settings";
    public const string SecretName = "fleet-secrets";
    public const string SecretVariablePrefix = "FLEET_SECRET_";
    public const string OtlpEndpoint = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Set on every project besides what the model gives it: deployments run as Production.</summary>
    public static IReadOnlyDictionary<string, string> DeploymentSettings { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal)
    {
        ["ASPNETCORE_ENVIRONMENT"] = "Production",
    };

    private Dictionary<string, string>? _shared;

    /// <summary>Plain values a project reads from the ConfigMap: a variable goes there when every project that sets it agrees on its value.</summary>
    public SortedDictionary<string, string> Settings(IEnumerable<PublishedWorkload> projects)
    {
        var settings = new SortedDictionary<string, string>(DeploymentSettings.ToDictionary(), StringComparer.Ordinal);
        var names = projects.SelectMany(project => project.Environment).Select(variable => variable.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (name, value) in Shared().Where(pair => names.Contains(pair.Key)))
        {
            settings[name] = value;
        }

        return settings;
    }

    /// <summary>A project's variables: secret helpers first (Kubernetes expands <c>$(NAME)</c> only from earlier ones), then the model's.</summary>
    public List<V1EnvVar> ForProject(PublishedWorkload project)
    {
        var shared = Shared();
        var helpers = new List<ParameterResource>();
        var variables = DeploymentSettings.Keys.Select(name => FromSettings(name)).ToList();
        variables.Add(Plain("OTEL_SERVICE_NAME", project.Name));
        // Where telemetry goes is the cluster's business: unset (no exporter) unless settings.env names a collector.
        variables.Add(FromSettings(OtlpEndpoint, optional: true));
        foreach (var (name, value) in project.Environment)
        {
            variables.Add(AsSecretReference(name, value) ?? Render(value, helpers) switch
            {
                var plain when shared.ContainsKey(name) && plain == shared[name] => FromSettings(name),
                var text => Plain(name, text),
            });
        }

        return [.. helpers.Select(Helper), .. variables];
    }

    /// <summary>A container's variables as the model gives them, secrets by reference.</summary>
    public static List<V1EnvVar> ForContainer(PublishedWorkload container)
    {
        var helpers = new List<ParameterResource>();
        var variables = container.Environment.Select(variable => AsSecretReference(variable.Key, variable.Value) ?? Plain(variable.Key, Render(variable.Value, helpers))).ToList();
        return [.. helpers.Select(Helper), .. variables];
    }

    /// <summary>Arguments with secrets as <c>$(FLEET_SECRET_…)</c>; the helpers they need are added to <paramref name="helpers"/>.</summary>
    public static List<string> Args(PublishedWorkload workload, List<ParameterResource> helpers) =>
        workload.Args.Select(arg => Render(arg, helpers)).ToList();

    public static string HelperName(string parameter) => SecretVariablePrefix + parameter.ToUpperInvariant().Replace('-', '_');

    public static V1EnvVar Helper(ParameterResource parameter) => FromSecret(HelperName(parameter.Name), parameter.Name);

    public static V1EnvVar Plain(string name, string value) => new() { Name = name, Value = value };

    public static V1EnvVar FromSecret(string name, string key) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { SecretKeyRef = new V1SecretKeySelector { Name = SecretName, Key = key } } };

    private static V1EnvVar FromSettings(string name, bool optional = false) =>
        new() { Name = name, ValueFrom = new V1EnvVarSource { ConfigMapKeyRef = new V1ConfigMapKeySelector { Name = SettingsConfigMap, Key = name, Optional = optional ? true : null } } };

    private static V1EnvVar? AsSecretReference(string name, object value) => value switch
    {
        ParameterResource { Secret: true } parameter => FromSecret(name, parameter.Name),
        ReferenceExpression { IsConditional: false, Format: "{0}", ValueProviders: [ParameterResource { Secret: true } parameter] } => FromSecret(name, parameter.Name),
        _ => null,
    };

    /// <summary>
    /// A value as text in the pod, the way Aspire's publishers resolve it: connection strings and expressions are
    /// expanded, endpoints become <c>scheme://service:port</c>, secret parameters <c>$(FLEET_SECRET_…)</c>.
    /// </summary>
    public static string Render(object value, List<ParameterResource> helpers) => value switch
    {
        string text => text,
        bool flag => flag ? "true" : "false",
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        ParameterResource { Secret: true } parameter => UseHelper(parameter, helpers),
        ParameterResource parameter => throw new NotSupportedException($"parameter '{parameter.Name}' is not secret; the Kustomize publisher keeps parameters in secrets.env only."),
        ConnectionStringReference reference => Render(reference.Resource.ConnectionStringExpression, helpers),
        IResourceWithConnectionString resource => Render(resource.ConnectionStringExpression, helpers),
        EndpointReference endpoint => Endpoint(endpoint, EndpointProperty.Url),
        EndpointReferenceExpression expression => Endpoint(expression.Endpoint, expression.Property),
        ReferenceExpression { IsConditional: true } conditional => Render(Choose(conditional), helpers),
        ReferenceExpression expression => string.Format(CultureInfo.InvariantCulture, expression.Format,
            [.. expression.ValueProviders.Select((provider, index) => (object)Formatted(provider, expression.StringFormats.ElementAtOrDefault(index), helpers))]),
        _ => throw new NotSupportedException($"the Kustomize publisher cannot resolve a {value.GetType().Name}."),
    };

    /// <summary>
    /// Aspire's <c>uri</c> format percent-encodes a value; a secret is only known in the pod, so secrets.env.example asks for
    /// URI-safe values (hex) and the helper is used as it is.
    /// </summary>
    private static string Formatted(object provider, string? format, List<ParameterResource> helpers)
    {
        var text = Render(provider, helpers);
        return format == "uri" && provider is not ParameterResource { Secret: true } ? Uri.EscapeDataString(text) : text;
    }

    /// <summary>Conditions are decided here (for example "is TLS on"): in the cluster no endpoint terminates TLS itself.</summary>
    private static ReferenceExpression Choose(ReferenceExpression conditional)
    {
        var scratch = new List<ParameterResource>();
        var condition = Render(conditional.Condition!, scratch);
        if (scratch.Count > 0)
        {
            throw new NotSupportedException("a condition on a secret cannot be decided when publishing.");
        }

        return string.Equals(condition, conditional.MatchValue, StringComparison.OrdinalIgnoreCase) ? conditional.WhenTrue! : conditional.WhenFalse!;
    }

    private static string Endpoint(EndpointReference endpoint, EndpointProperty property)
    {
        var annotation = endpoint.Resource.Annotations.OfType<EndpointAnnotation>().Single(candidate => candidate.Name == endpoint.EndpointName);
        var port = PublishedWorkload.PortOf(annotation).ToString(CultureInfo.InvariantCulture);
        var host = endpoint.Resource.Name;
        return property switch
        {
            EndpointProperty.Url => $"{annotation.UriScheme}://{host}:{port}",
            EndpointProperty.Host or EndpointProperty.IPV4Host => host,
            EndpointProperty.Port or EndpointProperty.TargetPort => port,
            EndpointProperty.HostAndPort => $"{host}:{port}",
            EndpointProperty.Scheme => annotation.UriScheme,
            EndpointProperty.TlsEnabled => bool.FalseString,
            _ => throw new NotSupportedException($"endpoint property {property} of {host}."),
        };
    }

    private static string UseHelper(ParameterResource parameter, List<ParameterResource> helpers)
    {
        if (!helpers.Contains(parameter))
        {
            helpers.Add(parameter);
        }

        return $"$({HelperName(parameter.Name)})";
    }

    /// <summary>Plain values (no secret in them) that every project setting the variable agrees on.</summary>
    private Dictionary<string, string> Shared() => _shared ??= app.Projects
        .SelectMany(project => project.Environment)
        .Where(variable => AsSecretReference(variable.Key, variable.Value) is null)
        .Select(variable => (variable.Key, Helpers: new List<ParameterResource>(), variable.Value))
        .Select(variable => (variable.Key, Text: Render(variable.Value, variable.Helpers), Secret: variable.Helpers.Count > 0))
        .GroupBy(variable => variable.Key, StringComparer.Ordinal)
        .Where(group => group.All(variable => !variable.Secret) && group.Select(variable => variable.Text).Distinct(StringComparer.Ordinal).Count() == 1)
        .ToDictionary(group => group.Key, group => group.First().Text, StringComparer.Ordinal);
}
