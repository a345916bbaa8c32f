using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// Deployments and Services for projects, a Job for a project others wait for with <c>WaitForCompletion</c>, and
/// StatefulSets with volume claims for containers (Redis, PostgreSQL), one set per resource of the app model.
/// </summary>
public sealed class KubernetesWorkloads(PublishedApp app, KubernetesEnvironment environment)
{
    public const string NameLabel = "app.kubernetes.io/name";
    public const string HealthPath = "/health";
    public const string LivenessPath = "/alive";

    /// <summary>The api image's mode that exits 0 once the migrations Job has brought the schema up to date.</summary>
    public const string WaitForMigrationsArgument = "--wait-for-migrations";

    /// <summary>Only Fleet.Api maps Prometheus' <c>/metrics</c>.</summary>
    public static readonly IReadOnlySet<string> Scraped = new HashSet<string>(StringComparer.Ordinal) { FleetResources.Api };

    /// <summary>The .NET container images' non-root user (<c>app</c>); the SDK's ContainerUser sets it too.</summary>
    public const long DotnetUserId = 1654;

    /// <summary>The postgres and redis images' own unprivileged user.</summary>
    public const long BackingServerUserId = 999;

    public static Dictionary<string, string> Selector(string name) => new(StringComparer.Ordinal) { [NameLabel] = name };

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> ForProject(PublishedWorkload project)
    {
        if (project.IsJob)
        {
            yield return Job(project);
            yield break;
        }

        var container = ProjectContainer(project, project.Name, []);
        container.Ports = [.. project.Endpoints.Select(endpoint => Port(endpoint.Name, PublishedWorkload.PortOf(endpoint)))];
        container.ReadinessProbe = project.HasHealthCheck ? HttpProbe(HealthPath, periodSeconds: 5) : null;
        container.LivenessProbe = HttpProbe(LivenessPath, periodSeconds: 10);
        container.StartupProbe = HttpProbe(LivenessPath, periodSeconds: 2, failureThreshold: 60);
        Dictionary<string, string>? annotations = Scraped.Contains(project.Name)
            ? new(StringComparer.Ordinal)
            {
                ["prometheus.io/scrape"] = "true",
                ["prometheus.io/port"] = PublishedWorkload.DefaultHttpPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["prometheus.io/path"] = "/metrics",
            }
            : null;

        yield return new V1Deployment
        {
            ApiVersion = "apps/v1",
            Kind = "Deployment",
            Metadata = Metadata(project.Name),
            Spec = new V1DeploymentSpec
            {
                Replicas = project.Replicas,
                Selector = new V1LabelSelector { MatchLabels = Selector(project.Name) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Selector(project.Name), Annotations = annotations },
                    Spec = PodSpec(DotnetUserId, [container], InitContainers(project), [EmptyDir("tmp")]),
                },
            },
        };
        yield return Service(project.Name, project.Endpoints.Select(endpoint => (endpoint.Name, PublishedWorkload.PortOf(endpoint))));
    }

    /// <summary>A container of the model (image, entrypoint, args, env, ports, volumes) as a StatefulSet keeping its volumes on claims.</summary>
    public static IEnumerable<IKubernetesObject<V1ObjectMeta>> ForContainer(PublishedWorkload server)
    {
        var resource = (ContainerResource)server.Resource;
        var helpers = new List<ParameterResource>();
        var args = KubernetesEnvironment.Args(server, helpers);
        var env = KubernetesEnvironment.ForContainer(server);
        env.InsertRange(0, helpers.Select(KubernetesEnvironment.Helper).Where(helper => env.All(existing => existing.Name != helper.Name)));
        var endpoint = server.Endpoints.First();
        var mounts = resource.Annotations.OfType<ContainerMountAnnotation>().Where(mount => mount.Type == ContainerMountType.Volume).ToList();
        var claims = mounts.Select((mount, index) => (Name: index == 0 ? "data" : $"data-{index}", mount.Target)).ToList();
        var isPostgres = resource is PostgresServerResource;
        var container = new V1Container
        {
            Name = server.Name,
            Image = server.Image,
            Command = resource.Entrypoint is { } entrypoint ? [entrypoint] : null,
            Args = args.Count > 0 ? args : null,
            Env = env.Count > 0 ? env : null,
            Ports = [.. server.Endpoints.Select(port => Port(port.Name, PublishedWorkload.PortOf(port)))],
            ReadinessProbe = isPostgres
                ? new V1Probe { Exec = new V1ExecAction { Command = ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"] }, PeriodSeconds = 5 }
                : new V1Probe { TcpSocket = new V1TCPSocketAction { Port = endpoint.Name }, PeriodSeconds = 5 },
            LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = endpoint.Name }, PeriodSeconds = 10 },
            // The model gives PostgreSQL 1 GB of shared buffers (BackingServices.PostgresIngestSettings): its limit leaves room beside them.
            Resources = isPostgres ? Resources("250m", "512Mi", "1", "2Gi") : Resources("100m", "128Mi", "500m", "512Mi"),
            SecurityContext = ContainerSecurity(BackingServerUserId),
            // PostgreSQL writes its socket and temporary files outside its data folder; the root stays read-only.
            VolumeMounts = [.. claims.Select(claim => new V1VolumeMount { MountPath = claim.Target, Name = claim.Name }),
                .. isPostgres ? new[] { new V1VolumeMount { MountPath = "/var/run/postgresql", Name = "run" }, new V1VolumeMount { MountPath = "/tmp", Name = "tmp" } } : []],
        };
        yield return new V1StatefulSet
        {
            ApiVersion = "apps/v1",
            Kind = "StatefulSet",
            Metadata = Metadata(server.Name),
            Spec = new V1StatefulSetSpec
            {
                ServiceName = server.Name,
                Replicas = 1,
                Selector = new V1LabelSelector { MatchLabels = Selector(server.Name) },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Selector(server.Name) },
                    Spec = PodSpec(BackingServerUserId, [container], null, isPostgres ? [EmptyDir("run"), EmptyDir("tmp")] : []),
                },
                VolumeClaimTemplates = [.. claims.Select(claim => Claim(claim.Name, isPostgres ? "5Gi" : "1Gi"))],
            },
        };
        yield return Service(server.Name, server.Endpoints.Select(port => (port.Name, PublishedWorkload.PortOf(port))));
    }

    /// <summary>A project others wait to complete, e.g. migrations: it runs to the end once per apply.</summary>
    private V1Job Job(PublishedWorkload project) => new()
    {
        ApiVersion = "batch/v1",
        Kind = "Job",
        Metadata = Metadata(project.Name),
        Spec = new V1JobSpec
        {
            BackoffLimit = 10,
            // Finished Jobs go away, so the next `kubectl apply -k` (a new image) creates and runs it again.
            TtlSecondsAfterFinished = 300,
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Selector(project.Name) },
                Spec = PodSpec(DotnetUserId, [ProjectContainer(project, project.Name, null)], null, [EmptyDir("tmp")], restartPolicy: "OnFailure"),
            },
        },
    };

    /// <summary>
    /// <c>WaitForCompletion</c> on a Job running the same project becomes an init container in that project's own mode that
    /// waits for the Job's migrations: replicas never migrate themselves first.
    /// </summary>
    private List<V1Container>? InitContainers(PublishedWorkload project)
    {
        var waits = project.CompletionWaits.Select(resource => app[resource.Name]).ToList();
        foreach (var job in waits.Where(job => job.Image != project.Image))
        {
            throw new NotSupportedException($"{project.Name} waits for {job.Name} to complete; Kubernetes can wait only for migrations of its own image.");
        }

        return waits.Count == 0 ? null : [ProjectContainer(project, "wait-for-migrations", [WaitForMigrationsArgument])];
    }

    private V1Container ProjectContainer(PublishedWorkload project, string name, IList<string>? args)
    {
        var helpers = new List<ParameterResource>();
        var modelArgs = args ?? KubernetesEnvironment.Args(project, helpers);
        var env = environment.ForProject(project);
        env.InsertRange(0, helpers.Select(KubernetesEnvironment.Helper).Where(helper => env.All(existing => existing.Name != helper.Name)));
        var large = project.Resource.Annotations.OfType<ResourceRelationshipAnnotation>().Any(reference => reference.Resource is PostgresDatabaseResource);
        return new V1Container
        {
            Name = name,
            Image = project.Image,
            ImagePullPolicy = "IfNotPresent",
            Args = modelArgs.Count > 0 ? modelArgs : null,
            Env = env,
            Resources = large ? Resources("250m", "256Mi", "2", "1Gi") : Resources("100m", "192Mi", "1", "512Mi"),
            SecurityContext = ContainerSecurity(DotnetUserId),
            VolumeMounts = [new V1VolumeMount { MountPath = "/tmp", Name = "tmp" }],
        };
    }

    private static V1PersistentVolumeClaim Claim(string name, string storage) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1PersistentVolumeClaimSpec
        {
            AccessModes = ["ReadWriteOnce"],
            Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage) } },
        },
    };

    private static V1Service Service(string name, IEnumerable<(string Name, int Port)> ports) => new()
    {
        ApiVersion = "v1",
        Kind = "Service",
        Metadata = Metadata(name),
        Spec = new V1ServiceSpec
        {
            Selector = Selector(name),
            Ports = [.. ports.Select(port => new V1ServicePort { Name = port.Name, Port = port.Port, TargetPort = port.Name, Protocol = "TCP" })],
        },
    };

    private static V1PodSpec PodSpec(long userId, IList<V1Container> containers, IList<V1Container>? initContainers, IList<V1Volume> volumes, string? restartPolicy = null) => new()
    {
        AutomountServiceAccountToken = false,
        RestartPolicy = restartPolicy,
        SecurityContext = new V1PodSecurityContext
        {
            RunAsNonRoot = true,
            RunAsUser = userId,
            RunAsGroup = userId,
            FsGroup = userId,
            SeccompProfile = new V1SeccompProfile { Type = "RuntimeDefault" },
        },
        InitContainers = initContainers,
        Containers = containers,
        Volumes = volumes.Count > 0 ? volumes : null,
    };

    /// <summary>Non-root, nothing to escalate to, and a read-only root: the services write only to /tmp (and data volumes).</summary>
    private static V1SecurityContext ContainerSecurity(long userId) => new()
    {
        RunAsNonRoot = true,
        RunAsUser = userId,
        AllowPrivilegeEscalation = false,
        ReadOnlyRootFilesystem = true,
        Capabilities = new V1Capabilities { Drop = ["ALL"] },
    };

    private static V1ResourceRequirements Resources(string cpuRequest, string memoryRequest, string cpuLimit, string memoryLimit) => new()
    {
        Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuRequest), ["memory"] = new(memoryRequest) },
        Limits = new Dictionary<string, ResourceQuantity> { ["cpu"] = new(cpuLimit), ["memory"] = new(memoryLimit) },
    };

    private static V1Probe HttpProbe(string path, int periodSeconds, int failureThreshold = 3) => new()
    {
        HttpGet = new V1HTTPGetAction { Port = "http", Path = path },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
    };

    private static V1Volume EmptyDir(string name) => new() { Name = name, EmptyDir = new V1EmptyDirVolumeSource() };

    private static V1ContainerPort Port(string name, int port) => new() { Name = name, ContainerPort = port, Protocol = "TCP" };

    private static V1ObjectMeta Metadata(string name) => new() { Name = name, Labels = Selector(name) };
}
