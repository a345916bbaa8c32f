using Fleet.AppHost.Hosting;
using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>Deployments, Services, StatefulSets and the migrations Job, one set per resource of the app model.</summary>
public sealed class KubernetesWorkloads(PublishedModel model, KubernetesEnvironment environment)
{
    public const string NameLabel = "app.kubernetes.io/name";
    public const string LivenessPath = "/alive";
    public const string MigrationsJob = "api-migrations";

    /// <summary>The .NET container images' non-root user (<c>app</c>); the SDK's ContainerUser sets it too.</summary>
    public const long DotnetUserId = 1654;

    /// <summary>The postgres and redis images' own unprivileged user.</summary>
    public const long BackingServerUserId = 999;

    public static Dictionary<string, string> Selector(string name) => new(StringComparer.Ordinal) { [NameLabel] = name };

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> ForProject(ProjectResource project)
    {
        var container = ProjectContainer(project, project.Name, []);
        container.Ports = [Port(ProjectWiring.HttpEndpoint, PublishedPorts.Http), .. project.ExtraEndpoints.Select(endpoint => Port(endpoint.Name, endpoint.TargetPort))];
        container.ReadinessProbe = HttpProbe(project.HealthCheckPath ?? "/health", periodSeconds: 5);
        container.LivenessProbe = HttpProbe(LivenessPath, periodSeconds: 10);
        container.StartupProbe = HttpProbe(LivenessPath, periodSeconds: 2, failureThreshold: 60);
        var annotations = new Dictionary<string, string>(StringComparer.Ordinal);
        List<V1Container>? initContainers = null;
        if (IsApi(project))
        {
            annotations["prometheus.io/scrape"] = "true";
            annotations["prometheus.io/port"] = PublishedPorts.Http.ToString(System.Globalization.CultureInfo.InvariantCulture);
            annotations["prometheus.io/path"] = "/metrics";
            // Replicas wait until the migrations Job has brought the schema up to date; they never migrate themselves first.
            initContainers = [ProjectContainer(project, "wait-for-migrations", ["--wait-for-migrations"])];
        }

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
                    Metadata = new V1ObjectMeta { Labels = Selector(project.Name), Annotations = annotations.Count > 0 ? annotations : null },
                    Spec = PodSpec(DotnetUserId, [container], initContainers, TmpVolume()),
                },
            },
        };
        yield return Service(project.Name, [(ProjectWiring.HttpEndpoint, PublishedPorts.Http), .. project.ExtraEndpoints.Select(endpoint => (endpoint.Name, endpoint.TargetPort))]);
        if (IsApi(project))
        {
            yield return MigrationsJobFor(project);
        }
    }

    /// <summary>The project that holds the database schema: the one referencing a PostgreSQL database.</summary>
    public static bool IsApi(ProjectResource project) => project.References.Any(reference => reference is PostgresDatabaseResource);

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> ForRedis(RedisResource redis)
    {
        var password = KubernetesEnvironment.HelperName(model.PasswordOf(redis).Name);
        var container = new V1Container
        {
            Name = redis.Name,
            Image = BackingImages.Redis,
            Command = ["redis-server"],
            Args = ["--requirepass", $"$({password})", "--appendonly", "yes", "--dir", "/data"],
            Env = [KubernetesEnvironment.FromSecret(password, model.PasswordOf(redis).Name)],
            Ports = [Port("redis", PublishedPorts.Redis)],
            ReadinessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "redis" }, PeriodSeconds = 5 },
            LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "redis" }, PeriodSeconds = 10 },
            Resources = Resources("100m", "128Mi", "500m", "512Mi"),
            SecurityContext = ContainerSecurity(BackingServerUserId),
            VolumeMounts = [new V1VolumeMount { MountPath = "/data", Name = "data" }],
        };
        yield return StatefulSet(redis.Name, container, "1Gi", []);
        yield return Service(redis.Name, [("redis", PublishedPorts.Redis)]);
    }

    public IEnumerable<IKubernetesObject<V1ObjectMeta>> ForPostgres(PostgresServerResource postgres)
    {
        var container = new V1Container
        {
            Name = postgres.Name,
            Image = BackingImages.Postgres,
            Env =
            [
                KubernetesEnvironment.Plain("POSTGRES_USER", "postgres"),
                KubernetesEnvironment.FromSecret("POSTGRES_PASSWORD", model.PasswordOf(postgres).Name),
                KubernetesEnvironment.Plain("PGDATA", "/var/lib/postgresql/data/pgdata"),
            ],
            Ports = [Port("postgres", PublishedPorts.Postgres)],
            ReadinessProbe = new V1Probe { Exec = new V1ExecAction { Command = ["pg_isready", "-U", "postgres", "-h", "127.0.0.1"] }, PeriodSeconds = 5 },
            LivenessProbe = new V1Probe { TcpSocket = new V1TCPSocketAction { Port = "postgres" }, PeriodSeconds = 10 },
            Resources = Resources("250m", "256Mi", "1", "1Gi"),
            SecurityContext = ContainerSecurity(BackingServerUserId),
            VolumeMounts =
            [
                new V1VolumeMount { MountPath = "/var/lib/postgresql/data", Name = "data" },
                new V1VolumeMount { MountPath = "/var/run/postgresql", Name = "run" },
                new V1VolumeMount { MountPath = "/tmp", Name = "tmp" },
            ],
        };
        yield return StatefulSet(postgres.Name, container, "5Gi", [EmptyDir("run"), EmptyDir("tmp")]);
        yield return Service(postgres.Name, [("postgres", PublishedPorts.Postgres)]);
    }

    private V1Job MigrationsJobFor(ProjectResource api)
    {
        var container = ProjectContainer(api, "migrate", ["--migrate"]);
        return new V1Job
        {
            ApiVersion = "batch/v1",
            Kind = "Job",
            Metadata = Metadata(MigrationsJob),
            Spec = new V1JobSpec
            {
                BackoffLimit = 10,
                // Finished Jobs go away, so the next `kubectl apply -k` (a new image) creates and runs it again.
                TtlSecondsAfterFinished = 300,
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = Selector(MigrationsJob) },
                    Spec = PodSpec(DotnetUserId, [container], null, TmpVolume(), restartPolicy: "OnFailure"),
                },
            },
        };
    }

    private V1Container ProjectContainer(ProjectResource project, string name, IList<string> args) => new()
    {
        Name = name,
        Image = PublishedModel.ImageOf(project),
        ImagePullPolicy = "IfNotPresent",
        Args = args.Count > 0 ? args : null,
        Env = environment.For(project),
        Resources = IsApi(project) ? Resources("250m", "256Mi", "2", "1Gi") : Resources("100m", "192Mi", "1", "512Mi"),
        SecurityContext = ContainerSecurity(DotnetUserId),
        VolumeMounts = [new V1VolumeMount { MountPath = "/tmp", Name = "tmp" }],
    };

    private static V1StatefulSet StatefulSet(string name, V1Container container, string storage, IList<V1Volume> volumes) => new()
    {
        ApiVersion = "apps/v1",
        Kind = "StatefulSet",
        Metadata = Metadata(name),
        Spec = new V1StatefulSetSpec
        {
            ServiceName = name,
            Replicas = 1,
            Selector = new V1LabelSelector { MatchLabels = Selector(name) },
            Template = new V1PodTemplateSpec
            {
                Metadata = new V1ObjectMeta { Labels = Selector(name) },
                Spec = PodSpec(BackingServerUserId, [container], null, volumes),
            },
            VolumeClaimTemplates =
            [
                new V1PersistentVolumeClaim
                {
                    Metadata = new V1ObjectMeta { Name = "data" },
                    Spec = new V1PersistentVolumeClaimSpec
                    {
                        AccessModes = ["ReadWriteOnce"],
                        Resources = new V1VolumeResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["storage"] = new(storage) } },
                    },
                },
            ],
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
            Ports = ports.Select(port => new V1ServicePort { Name = port.Name, Port = port.Port, TargetPort = port.Name, Protocol = "TCP" }).ToList(),
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
        HttpGet = new V1HTTPGetAction { Port = ProjectWiring.HttpEndpoint, Path = path },
        PeriodSeconds = periodSeconds,
        FailureThreshold = failureThreshold,
    };

    private static List<V1Volume> TmpVolume() => [EmptyDir("tmp")];

    private static V1Volume EmptyDir(string name) => new() { Name = name, EmptyDir = new V1EmptyDirVolumeSource() };

    private static V1ContainerPort Port(string name, int port) => new() { Name = name, ContainerPort = port, Protocol = "TCP" };

    private static V1ObjectMeta Metadata(string name) => new() { Name = name, Labels = Selector(name) };
}
