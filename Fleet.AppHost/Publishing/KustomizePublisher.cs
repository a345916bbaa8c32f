using System.Text;
using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// A Kustomize tree for <c>kubectl apply -k</c>, written from Aspire's app model: <c>base/</c> (namespace, workloads,
/// settings, secrets from a file the user fills), <c>base/simulator/</c> (a component with the development-only
/// projects), <c>overlays/dev</c> and <c>overlays/production</c>. Output is deterministic (model order, sorted settings, no
/// timestamps).
/// </summary>
public sealed class KustomizePublisher(PublishedApp app)
{
    public const string Name = "kustomize";
    public const string Namespace = "fleet";
    public const string SecretsFile = "base/secrets.env";
    public const string SimulatorComponent = "simulator";

    /// <summary>The simulator stands in for real devices: only the dev overlay runs it.</summary>
    public static readonly IReadOnlySet<string> DevelopmentOnly = new HashSet<string>(StringComparer.Ordinal) { FleetResources.Devices };

    private const string Header = "# Written by `dotnet run --project Fleet.AppHost -- --publisher kustomize`; edit the app model, not this file.\n";

    private readonly KubernetesEnvironment _environment = new(app);

    /// <summary>Replaces <paramref name="outputPath"/> with a fresh tree, keeping the user's secrets.env; all or nothing.</summary>
    public void Publish(string outputPath) =>
        StagedOutput.WriteFolder(outputPath, Write, keep: [SecretsFile], isOurs: path => File.Exists(Path.Combine(path, "base", "kustomization.yaml")));

    /// <summary>Writes the whole tree under <paramref name="root"/>.</summary>
    public void Write(string root)
    {
        var workloads = new KubernetesWorkloads(app, _environment);
        var baseProjects = app.Projects.Where(project => !DevelopmentOnly.Contains(project.Name)).ToList();
        var devProjects = app.Projects.Where(project => DevelopmentOnly.Contains(project.Name)).ToList();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [".gitignore"] = "# The real secrets: copy base/secrets.env.example to it and fill it in.\n/base/secrets.env\n",
            ["base/namespace.yaml"] = Yaml(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } }),
        };

        var baseResources = new List<string> { "namespace.yaml" };
        foreach (var workload in app.Workloads.Where(workload => !DevelopmentOnly.Contains(workload.Name)))
        {
            var objects = workload.Resource is ProjectResource ? workloads.ForProject(workload) : KubernetesWorkloads.ForContainer(workload);
            files[$"base/{workload.Name}.yaml"] = Yaml([.. objects]);
            baseResources.Add($"{workload.Name}.yaml");
        }

        var baseSettings = _environment.Settings(baseProjects);
        files["base/settings.env"] = EnvFile("Settings every service reads (no secrets: those are in secrets.env).", baseSettings)
            + $"# Where services send traces, metrics and logs (OTLP over gRPC); unset, they export nothing.\n# {KubernetesEnvironment.OtlpEndpoint}=http://otel-collector.monitoring:4317\n";
        files["base/secrets.env.example"] = SecretsExample(app.Secrets);
        files["base/kustomization.yaml"] = Kustomization(
            $"namespace: {Namespace}",
            "labels:\n  - pairs:\n      app.kubernetes.io/part-of: fleet",
            List("resources", baseResources),
            $"configMapGenerator:\n  - name: {KubernetesEnvironment.SettingsConfigMap}\n    envs:\n      - settings.env",
            $"secretGenerator:\n  - name: {KubernetesEnvironment.SecretName}\n    envs:\n      - secrets.env",
            // Fixed names: Kustomize does not rename references in the simulator component to hashed generator names.
            "generatorOptions:\n  disableNameSuffixHash: true");

        var simulatorSettings = _environment.Settings(devProjects).Where(setting => !baseSettings.ContainsKey(setting.Key)).ToList();
        foreach (var project in devProjects)
        {
            files[$"base/{SimulatorComponent}/{project.Name}.yaml"] = Yaml([.. workloads.ForProject(project)]);
        }

        files[$"base/{SimulatorComponent}/kustomization.yaml"] = Kustomization(
            "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component",
            List("resources", devProjects.Select(project => $"{project.Name}.yaml")),
            simulatorSettings.Count == 0 ? null
                : $"configMapGenerator:\n  - name: {KubernetesEnvironment.SettingsConfigMap}\n    behavior: merge\n    literals:\n"
                  + string.Concat(simulatorSettings.Select(setting => $"      - {setting.Key}={setting.Value}\n")).TrimEnd('\n'));

        var deployments = app.Projects.Where(project => !project.IsJob).ToList();
        files["overlays/dev/kustomization.yaml"] = Kustomization(
            List("resources", ["../../base"]),
            List("components", [$"../../base/{SimulatorComponent}"]),
            Replicas(deployments.Select(project => (project.Name, 1))));

        var scaled = baseProjects.Where(project => project.IsScaled && !project.IsJob).ToList();
        var policies = new KubernetesPolicies(app);
        files["overlays/production/autoscaling.yaml"] = Yaml([.. scaled.SelectMany(KubernetesPolicies.Autoscaling)]);
        files["overlays/production/network-policies.yaml"] = Yaml([.. policies.NetworkPolicies(DevelopmentOnly)]);
        files["overlays/production/kustomization.yaml"] = Kustomization(
            List("resources", ["../../base", "autoscaling.yaml", "network-policies.yaml"]),
            Replicas(scaled.Select(project => (project.Name, KubernetesPolicies.ProductionReplicas))));

        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
    }

    private static string Yaml(params IKubernetesObject<V1ObjectMeta>[] objects) =>
        Header + string.Join("---\n", objects.Select(item => KubernetesYaml.Serialize(item).TrimEnd('\n') + "\n"));

    private static string Kustomization(params string?[] sections)
    {
        var text = new StringBuilder(Header);
        if (!sections.Any(section => section?.StartsWith("apiVersion", StringComparison.Ordinal) == true))
        {
            text.Append("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
        }

        foreach (var section in sections.Where(section => section is not null))
        {
            text.Append(section).Append('\n');
        }

        return text.ToString();
    }

    private static string List(string name, IEnumerable<string> items) => $"{name}:\n" + string.Join('\n', items.Select(item => $"  - {item}"));

    private static string Replicas(IEnumerable<(string Name, int Count)> replicas) =>
        "replicas:\n" + string.Join('\n', replicas.Select(replica => $"  - name: {replica.Name}\n    count: {replica.Count}"));

    /// <summary>Every secret with an empty value; one with a description (a key rather than random characters) says what it takes.</summary>
    private static string SecretsExample(IEnumerable<ParameterResource> secrets) =>
        "# Copy to secrets.env (git-ignored) and give every key 32+ random URI-safe characters, e.g. `openssl rand -hex 24`,\n"
        + "# unless the key's own comment asks for something else.\n"
        + string.Concat(secrets.OrderBy(secret => secret.Name, StringComparer.Ordinal)
            .Select(secret => (secret.Description is { Length: > 0 } description ? $"# {secret.Name}: {description}\n" : "") + $"{secret.Name}=\n"));

    private static string EnvFile(string comment, IEnumerable<KeyValuePair<string, string>> values) =>
        $"# {comment}\n" + string.Concat(values.Select(pair => $"{pair.Key}={pair.Value}\n"));
}
