using System.Xml.Linq;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// Aspire's app model as the Kustomize publisher reads it: every project and container with the environment and
/// arguments its callbacks give in publish mode (evaluated as Aspire's own publishers do), its references, replicas
/// and waits, plus the model's secret parameters.
/// </summary>
public sealed class PublishedApp
{
    private PublishedApp(IReadOnlyList<PublishedWorkload> workloads, IReadOnlyList<ParameterResource> secrets)
    {
        Workloads = workloads;
        Secrets = secrets;
    }

    /// <summary>Projects and containers in the model's order.</summary>
    public IReadOnlyList<PublishedWorkload> Workloads { get; }

    /// <summary>The secret parameters: the keys of the Secret the user fills.</summary>
    public IReadOnlyList<ParameterResource> Secrets { get; }

    public IEnumerable<PublishedWorkload> Projects => Workloads.Where(workload => workload.Resource is ProjectResource);

    public PublishedWorkload this[string name] => Workloads.Single(workload => workload.Name == name);

    public static async Task<PublishedApp> ReadAsync(
        DistributedApplicationModel model, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var waitedForCompletion = model.Resources
            .SelectMany(resource => resource.Annotations.OfType<WaitAnnotation>())
            .Where(wait => wait.WaitType == WaitType.WaitForCompletion)
            .Select(wait => wait.Resource)
            .ToHashSet();
        var workloads = new List<PublishedWorkload>();
        foreach (var resource in model.Resources)
        {
            if (resource is ProjectResource or ContainerResource)
            {
                var environment = await EnvironmentAsync(resource, executionContext, cancellationToken);
                var args = await ArgsAsync(resource, executionContext, cancellationToken);
                workloads.Add(new PublishedWorkload(resource, environment, args, IsJob: waitedForCompletion.Contains(resource)));
            }
            else if (resource is ExecutableResource)
            {
                throw new NotSupportedException($"{resource.Name} is an executable; Kubernetes runs only projects and containers.");
            }
        }

        // Servers' generated passwords are not resources of the model: they are found where the workloads use them.
        var secrets = model.Resources.OfType<ParameterResource>().Where(parameter => parameter.Secret)
            .Concat(workloads.SelectMany(workload => workload.Environment.Select(variable => variable.Value).Concat(workload.Args)).SelectMany(SecretsIn))
            .Distinct()
            .ToList();
        return new PublishedApp(workloads, secrets);
    }

    private static IEnumerable<ParameterResource> SecretsIn(object value) => value switch
    {
        ParameterResource { Secret: true } parameter => [parameter],
        ConnectionStringReference reference => SecretsIn(reference.Resource.ConnectionStringExpression),
        IResourceWithConnectionString resource => SecretsIn(resource.ConnectionStringExpression),
        ReferenceExpression expression => expression.ValueProviders.SelectMany(SecretsIn),
        _ => [],
    };

    /// <summary>What Aspire's manifest publisher writes as <c>env</c>, in the callbacks' order.</summary>
    private static async Task<IReadOnlyList<KeyValuePair<string, object>>> EnvironmentAsync(
        IResource resource, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var context = new EnvironmentCallbackContext(executionContext, resource, cancellationToken: cancellationToken);
        foreach (var callback in resource.Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. context.EnvironmentVariables];
    }

    private static async Task<IReadOnlyList<object>> ArgsAsync(
        IResource resource, DistributedApplicationExecutionContext executionContext, CancellationToken cancellationToken)
    {
        var context = new CommandLineArgsCallbackContext([], resource, cancellationToken) { ExecutionContext = executionContext };
        foreach (var callback in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await callback.Callback(context);
        }

        return [.. context.Args];
    }
}

/// <summary>One project or container of the model, with its environment and arguments as publishing sees them.</summary>
public sealed record PublishedWorkload(IResource Resource, IReadOnlyList<KeyValuePair<string, object>> Environment, IReadOnlyList<object> Args, bool IsJob)
{
    /// <summary>A project's HTTP port when the model leaves it to the deployment: the .NET container images' default.</summary>
    public const int DefaultHttpPort = 8080;

    public string Name => Resource.Name;

    public int Replicas => Resource.TryGetLastAnnotation<ReplicaAnnotation>(out var replicas) ? replicas.Replicas : 1;

    /// <summary>Whether the model scales it (<c>WithReplicas</c>): production runs several and autoscales them.</summary>
    public bool IsScaled => Resource.TryGetLastAnnotation<ReplicaAnnotation>(out _);

    public IEnumerable<EndpointAnnotation> Endpoints => Resource.Annotations.OfType<EndpointAnnotation>();

    public bool HasHealthCheck => Resource.Annotations.OfType<HealthCheckAnnotation>().Any();

    /// <summary>What it references with <c>WithReference</c>, parameters included.</summary>
    public IEnumerable<IResource> References => Resource.Annotations.OfType<ResourceRelationshipAnnotation>()
        .Where(relationship => relationship.Type == "Reference")
        .Select(relationship => relationship.Resource)
        .Distinct();

    /// <summary>The workloads it waits for until they have exited (<c>WaitForCompletion</c>).</summary>
    public IEnumerable<IResource> CompletionWaits => Resource.Annotations.OfType<WaitAnnotation>()
        .Where(wait => wait.WaitType == WaitType.WaitForCompletion)
        .Select(wait => wait.Resource);

    /// <summary>Whether it calls <paramref name="target"/>: references it, or a database on it.</summary>
    public bool Reaches(IResource target) =>
        References.Any(reference => reference == target || (reference is IResourceWithParent child && child.Parent == target));

    public static int PortOf(EndpointAnnotation endpoint) =>
        endpoint.TargetPort ?? (endpoint.UriScheme is "http" ? DefaultHttpPort
            : throw new NotSupportedException($"endpoint '{endpoint.Name}' ({endpoint.UriScheme}) has no target port."));

    /// <summary>The image a project's csproj names for <c>dotnet publish -t:PublishContainer</c>, or a container's own.</summary>
    public string Image => Resource switch
    {
        ProjectResource project => ProjectImage(project.GetProjectMetadata().ProjectPath),
        _ when Resource.TryGetLastAnnotation<ContainerImageAnnotation>(out var image) =>
            $"{(image.Registry is null ? "" : image.Registry + "/")}{image.Image}{(image.Tag is null ? "" : ":" + image.Tag)}",
        _ => throw new NotSupportedException($"{Name} has no image."),
    };

    private static string ProjectImage(string projectPath)
    {
        var properties = XDocument.Load(projectPath).Descendants().Where(element => element.Parent?.Name.LocalName == "PropertyGroup")
            .GroupBy(element => element.Name.LocalName)
            .ToDictionary(group => group.Key, group => group.Last().Value.Trim(), StringComparer.Ordinal);
        var repository = properties.GetValueOrDefault("ContainerRepository")
            ?? throw new InvalidOperationException($"{Path.GetFileName(projectPath)} sets no ContainerRepository; the Kustomize publisher needs its image name.");
        return $"{repository}:{properties.GetValueOrDefault("ContainerImageTag") ?? "latest"}";
    }
}
