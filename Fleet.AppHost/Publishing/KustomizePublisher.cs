using System.Text;
using Fleet.AppHost.Hosting;
using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// A Kustomize tree for <c>kubectl apply -k</c>: <c>base/</c> (namespace, workloads, settings, secrets from a file the
/// user fills), <c>base/simulator/</c> (a component with the development-only projects), <c>overlays/dev</c> and
/// <c>overlays/production</c>. Output is deterministic (declared order, sorted settings, no timestamps).
/// </summary>
public sealed class KustomizePublisher(PublishedModel model, string outputPath) : IAppPublisher
{
    public const string Namespace = "fleet";
    public const string SecretsFile = "base/secrets.env";
    public const string SimulatorComponent = "simulator";

    private readonly KubernetesEnvironment _environment = new(model);

    public string Name => AppPublishers.Kustomize;

    public string Publish()
    {
        StagedOutput.WriteFolder(outputPath, Write, keep: [SecretsFile], isOurs: path => File.Exists(Path.Combine(path, "base", "kustomization.yaml")));
        return outputPath;
    }

    /// <summary>Writes the whole tree under <paramref name="root"/>.</summary>
    public void Write(string root)
    {
        var workloads = new KubernetesWorkloads(model, _environment);
        var baseProjects = model.Projects.Where(project => !project.IsDevelopmentOnly).ToList();
        var devProjects = model.Projects.Where(project => project.IsDevelopmentOnly).ToList();
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            [".gitignore"] = "# The real secrets: copy base/secrets.env.example to it and fill it in.\n/base/secrets.env\n",
            ["base/namespace.yaml"] = Yaml(new V1Namespace { ApiVersion = "v1", Kind = "Namespace", Metadata = new V1ObjectMeta { Name = Namespace } }),
        };

        var baseResources = new List<string> { "namespace.yaml" };
        foreach (var resource in model.Resources)
        {
            var objects = resource switch
            {
                RedisResource redis => workloads.ForRedis(redis),
                PostgresServerResource postgres => workloads.ForPostgres(postgres),
                ProjectResource { IsDevelopmentOnly: false } project => workloads.ForProject(project),
                _ => null,
            };
            if (objects is not null)
            {
                files[$"base/{resource.Name}.yaml"] = Yaml([.. objects]);
                baseResources.Add($"{resource.Name}.yaml");
            }
        }

        var baseSettings = _environment.Settings(baseProjects);
        files["base/settings.env"] = EnvFile("Settings every service reads (no secrets: those are in secrets.env).", baseSettings);
        files["base/secrets.env.example"] = EnvFile(
            "Copy to secrets.env (git-ignored) and give every key a value of 32+ random characters, e.g. `openssl rand -hex 24`.",
            _environment.SecretKeys.Order(StringComparer.Ordinal).ToDictionary(key => key, _ => ""));
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

        files["overlays/dev/kustomization.yaml"] = Kustomization(
            List("resources", ["../../base"]),
            List("components", [$"../../base/{SimulatorComponent}"]),
            Replicas(model.Projects.Select(project => (project.Name, 1))));

        var api = model.Projects.Single(KubernetesWorkloads.IsApi);
        var policies = new KubernetesPolicies(model);
        files["overlays/production/api-autoscaling.yaml"] = Yaml([.. KubernetesPolicies.Autoscaling(api)]);
        files["overlays/production/network-policies.yaml"] = Yaml([.. policies.NetworkPolicies()]);
        files["overlays/production/kustomization.yaml"] = Kustomization(
            List("resources", ["../../base", "api-autoscaling.yaml", "network-policies.yaml"]),
            Replicas([(api.Name, KubernetesPolicies.ProductionApiReplicas)]));

        foreach (var (relative, content) in files)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content);
        }
    }

    private static string Yaml(params IKubernetesObject<V1ObjectMeta>[] objects) =>
        Header + string.Join("---\n", objects.Select(item => KubernetesYaml.Serialize(item).TrimEnd('\n') + "\n"));

    private const string Header = "# Written by `dotnet run --project Fleet.AppHost -- --publisher kustomize`; edit the app model, not this file.\n";

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

    private static string EnvFile(string comment, IEnumerable<KeyValuePair<string, string>> values) =>
        $"# {comment}\n" + string.Concat(values.Select(pair => $"{pair.Key}={pair.Value}\n"));
}
