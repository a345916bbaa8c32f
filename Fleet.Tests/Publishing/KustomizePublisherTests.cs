using System.Text.Json;
using Fleet.AppHost.Publishing;
using Fleet.Tests.Infrastructure;
using k8s.Models;

namespace Fleet.Tests.Publishing;

public sealed class KustomizePublisherTests : IDisposable
{
    private readonly string _directory = TestDirectories.Create("kustomize");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string StateDirectory => Path.Combine(_directory, "state");

    /// <summary>What a user would put in secrets.env: distinct values, so a leak is attributable.</summary>
    private static readonly Dictionary<string, string> Secrets = new[] { "operator-token", "enrollment-token", "admin-password", "web-client-secret", "simulator-token", "issuer-signing-key", "postgres-password", "cache-password", "mqtt-password" }
        .ToDictionary(name => name, name => $"secret-{name}-{Guid.NewGuid():N}");

    [Fact]
    public async Task Committed_tree_equals_a_fresh_publish()
    {
        var fresh = Path.Combine(_directory, "fresh");
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", fresh);
        run.ExitCode.ShouldBe(0, run.Error);

        var committed = KustomizeRender.CommittedTree;
        Files(committed).Where(file => file != KustomizePublisher.SecretsFile).ShouldBe(Files(fresh), "deploy/k8s is stale: run `dotnet run --project Fleet.AppHost -- --publisher kustomize --output-path deploy/k8s`");
        foreach (var file in Files(fresh))
        {
            (await File.ReadAllTextAsync(Path.Combine(committed, file), Cancellation)).ShouldBe(await File.ReadAllTextAsync(Path.Combine(fresh, file), Cancellation), file);
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Every_container_has_an_image_resource_limits_and_a_non_root_read_only_root(string overlay)
    {
        var render = await RenderAsync(overlay);

        foreach (var (owner, template) in render.PodTemplates)
        {
            template.Spec.SecurityContext.RunAsNonRoot.ShouldBe(true, owner);
            foreach (var container in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                var where = $"{owner}/{container.Name}";
                container.Image.ShouldNotBeNullOrWhiteSpace(where);
                container.Resources.Limits.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true, where);
                container.Resources.Requests.Keys.ShouldBe(["cpu", "memory"], ignoreOrder: true, where);
                container.SecurityContext.AllowPrivilegeEscalation.ShouldBe(false, where);
                container.SecurityContext.ReadOnlyRootFilesystem.ShouldBe(true, where);
            }
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Long_running_containers_have_probes_and_projects_use_health_and_alive(string overlay)
    {
        var render = await RenderAsync(overlay);

        foreach (var (owner, template) in render.PodTemplates.Where(pod => !pod.Owner.StartsWith("Job/", StringComparison.Ordinal)))
        {
            foreach (var container in template.Spec.Containers)
            {
                container.ReadinessProbe.ShouldNotBeNull(owner);
                container.LivenessProbe.ShouldNotBeNull(owner);
            }
        }

        foreach (var deployment in render.All<V1Deployment>())
        {
            var container = deployment.Spec.Template.Spec.Containers.Single();
            container.ReadinessProbe.HttpGet.Path.ShouldBe("/health", deployment.Metadata.Name);
            container.LivenessProbe.HttpGet.Path.ShouldBe("/alive", deployment.Metadata.Name);
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Every_service_selects_pods_that_exist_and_every_port_it_targets(string overlay)
    {
        var render = await RenderAsync(overlay);

        foreach (var service in render.All<V1Service>())
        {
            var pods = render.PodTemplates.Where(pod => service.Spec.Selector.All(label => pod.Template.Metadata.Labels.TryGetValue(label.Key, out var value) && value == label.Value)).ToList();
            pods.ShouldNotBeEmpty($"Service {service.Metadata.Name} selects no pods");
            var ports = pods.SelectMany(pod => pod.Template.Spec.Containers).SelectMany(container => container.Ports ?? []).Select(port => port.Name).ToList();
            foreach (var port in service.Spec.Ports)
            {
                ports.ShouldContain(port.TargetPort.Value, $"Service {service.Metadata.Name} targets a port no pod names");
            }
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Secret_references_name_generated_keys_and_config_maps_hold_no_secret(string overlay)
    {
        var render = await RenderAsync(overlay);
        var secret = render.Secret;
        var settings = render.ConfigMap;
        secret.Metadata.Name.ShouldBe(KubernetesEnvironment.SecretName);
        settings.Metadata.Name.ShouldBe(KubernetesEnvironment.SettingsConfigMap);

        var variables = render.PodTemplates.SelectMany(pod => pod.Template.Spec.Containers.Concat(pod.Template.Spec.InitContainers ?? []))
            .SelectMany(container => container.Env ?? []).ToList();
        var secretRefs = variables.Where(variable => variable.ValueFrom?.SecretKeyRef is not null).Select(variable => variable.ValueFrom.SecretKeyRef).ToList();
        secretRefs.ShouldNotBeEmpty();
        foreach (var reference in secretRefs)
        {
            reference.Name.ShouldBe(secret.Metadata.Name);
            secret.Data.Keys.ShouldContain(reference.Key);
        }

        foreach (var reference in variables.Where(variable => variable.ValueFrom?.ConfigMapKeyRef is not null).Select(variable => variable.ValueFrom.ConfigMapKeyRef))
        {
            reference.Name.ShouldBe(settings.Metadata.Name);
            if (reference.Optional != true)
            {
                settings.Data.Keys.ShouldContain(reference.Key);
            }
        }

        foreach (var (key, value) in settings.Data)
        {
            Secrets.Values.ShouldNotContain(value, key);
            key.ShouldNotContain("password", Case.Insensitive);
            key.ShouldNotContain("token", Case.Insensitive);
            key.ShouldNotContain("apikey", Case.Insensitive);
        }

        // No secret is written into a manifest either: only the generated Secret carries them.
        foreach (var variable in variables.Where(variable => variable.Value is not null))
        {
            Secrets.Values.ShouldNotContain(secretValue => variable.Value.Contains(secretValue, StringComparison.Ordinal), variable.Name);
        }
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Env_wiring_matches_Aspires_manifest_of_the_same_model_variable_by_variable(string overlay)
    {
        var render = await RenderAsync(overlay);
        using var manifest = await ManifestAsync();
        var settings = render.ConfigMap.Data;
        var projects = manifest.RootElement.GetProperty("resources").EnumerateObject()
            .Where(resource => resource.Value.GetProperty("type").GetString() == "project.v0")
            .Where(resource => overlay == "dev" || !KustomizePublisher.DevelopmentOnly.Contains(resource.Name))
            .ToList();

        render.PodTemplates.Where(pod => !pod.Owner.StartsWith("StatefulSet/", StringComparison.Ordinal)).Select(pod => pod.Owner.Split('/')[1])
            .ShouldBe(projects.Select(project => project.Name), ignoreOrder: true);
        foreach (var project in projects)
        {
            var env = render.PodTemplates.Single(pod => pod.Owner.EndsWith("/" + project.Name, StringComparison.Ordinal)).Template.Spec.Containers.Single().Env;
            var wired = project.Value.GetProperty("env").EnumerateObject().ToList();
            env.Select(variable => variable.Name).Where(name => !AddedByTheDeployment(name))
                .ShouldBe(wired.Select(variable => variable.Name), $"{project.Name}'s variables, in the manifest's order");

            foreach (var variable in wired)
            {
                var expected = variable.Value.GetString()!;
                var deployed = env.Single(candidate => candidate.Name == variable.Name);
                var value = deployed.ValueFrom?.ConfigMapKeyRef is { } fromSettings ? settings[fromSettings.Key] : deployed.Value;
                var where = $"{project.Name}: {variable.Name} = {expected}";
                if (SecretParameter(expected) is { } parameter)
                {
                    deployed.ValueFrom?.SecretKeyRef?.Key.ShouldBe(parameter, where);
                }
                else if (Secrets.Keys.Any(secret => expected.Contains($"{{{secret}", StringComparison.Ordinal)))
                {
                    value.ShouldContain($"$({KubernetesEnvironment.SecretVariablePrefix}", Case.Sensitive, where);
                }
                else if (!expected.Contains('{', StringComparison.Ordinal))
                {
                    value.ShouldBe(expected, where);
                }
                else
                {
                    value.ShouldNotContain("{", Case.Sensitive, where);
                }
            }

            var helpers = env.TakeWhile(variable => variable.Name.StartsWith(KubernetesEnvironment.SecretVariablePrefix, StringComparison.Ordinal)).Count();
            env.Skip(helpers).ShouldNotContain(variable => variable.Name.StartsWith(KubernetesEnvironment.SecretVariablePrefix, StringComparison.Ordinal), "helpers come first");
        }

        settings["HTTP_PORTS"].ShouldBe("8080");
        if (overlay == "dev")
        {
            settings["services__api__http__0"].ShouldBe("http://api:8080");
            settings["Fleet__Devices"].ShouldBe("25");
        }

        var api = render.Deployment("api").Spec.Template.Spec.Containers.Single().Env.ToDictionary(variable => variable.Name);
        api["ConnectionStrings__cache"].Value.ShouldBe("cache:6379,password=$(FLEET_SECRET_CACHE_PASSWORD)");
        api["ConnectionStrings__fleetdb"].Value.ShouldBe("Host=postgres;Port=5432;Username=postgres;Password=$(FLEET_SECRET_POSTGRES_PASSWORD);Database=fleetdb");
        api["ConnectionStrings__mqtt"].Value.ShouldBe("Host=mqtt;Port=1883;Username=fleet-admin;Password=$(FLEET_SECRET_MQTT_PASSWORD)");
    }

    [Theory]
    [InlineData("dev")]
    [InlineData("production")]
    public async Task Telemetry_goes_where_settings_name_an_OTLP_endpoint_and_nowhere_by_default(string overlay)
    {
        var quiet = await RenderAsync(overlay);
        var exporting = await KustomizeRender.RenderAsync(KustomizeRender.CommittedTree, overlay, _directory, Secrets, Cancellation,
            extraSettings: "OTEL_EXPORTER_OTLP_ENDPOINT=http://collector.monitoring:4317\n");

        quiet.ConfigMap.Data.Keys.ShouldNotContain(KubernetesEnvironment.OtlpEndpoint);
        exporting.ConfigMap.Data[KubernetesEnvironment.OtlpEndpoint].ShouldBe("http://collector.monitoring:4317");
        foreach (var deployment in quiet.All<V1Deployment>())
        {
            var endpoint = deployment.Spec.Template.Spec.Containers.Single().Env.Single(variable => variable.Name == KubernetesEnvironment.OtlpEndpoint);
            endpoint.ValueFrom.ConfigMapKeyRef.Optional.ShouldBe(true, deployment.Metadata.Name);
        }

        quiet.Objects.OfType<k8s.IKubernetesObject<V1ObjectMeta>>().ShouldNotContain(item => item.Metadata.Name.Contains("dashboard", StringComparison.Ordinal));
        quiet.ConfigMap.Data.Keys.ShouldNotContain(key => key.StartsWith("Dashboard", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Base_replicas_and_settings_come_from_the_app_model_the_options_build()
    {
        var tree = Path.Combine(_directory, "options");
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "kustomize", "--output-path", tree, "--api-replicas", "2", "--devices", "40");
        run.ExitCode.ShouldBe(0, run.Error);

        var api = k8s.KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(Path.Combine(tree, "base", "api.yaml"), Cancellation)).OfType<V1Deployment>().Single();
        api.Spec.Replicas.ShouldBe(2);
        (await File.ReadAllTextAsync(Path.Combine(tree, "base", KustomizePublisher.SimulatorComponent, "kustomization.yaml"), Cancellation)).ShouldContain("Fleet__Devices=40");
    }

    [Fact]
    public async Task Dev_runs_one_replica_of_everything_with_the_simulated_fleet()
    {
        var render = await RenderAsync("dev");

        render.All<V1Deployment>().ShouldAllBe(deployment => deployment.Spec.Replicas == 1);
        render.Deployment("devices").ShouldNotBeNull();
        render.All<V1HorizontalPodAutoscaler>().ShouldBeEmpty();
        render.All<V1NetworkPolicy>().ShouldBeEmpty();
    }

    [Fact]
    public async Task Production_runs_three_autoscaled_api_replicas_without_the_simulator_behind_network_policies()
    {
        var render = await RenderAsync("production");

        render.Deployment("api").Spec.Replicas.ShouldBe(3);
        render.All<V1Deployment>().ShouldNotContain(deployment => deployment.Metadata.Name == "devices");
        render.ConfigMap.Data.Keys.ShouldNotContain("Fleet__Devices");
        var autoscaler = render.All<V2HorizontalPodAutoscaler>().Single();
        autoscaler.Spec.ScaleTargetRef.Name.ShouldBe("api");
        autoscaler.Spec.MinReplicas.ShouldBe(3);
        render.All<V1PodDisruptionBudget>().Single().Spec.Selector.MatchLabels["app.kubernetes.io/name"].ShouldBe("api");

        var policies = render.All<V1NetworkPolicy>().ToDictionary(policy => policy.Metadata.Name);
        policies["default-deny-ingress"].Spec.PodSelector.MatchLabels.ShouldBeNull();
        Clients(policies["api-ingress"]).ShouldBe(["web", "devices"], ignoreOrder: true);
        // api and web have external HTTP endpoints in the app model: devices and users reach them from outside.
        OpenPorts(policies["api-ingress"]).ShouldBe(["http"]);
        OpenPorts(policies["web-ingress"]).ShouldBe(["http"]);
        Clients(policies["postgres-ingress"]).ShouldBe(["api", "migrations"], ignoreOrder: true);
        OpenPorts(policies["postgres-ingress"]).ShouldBeEmpty();
        // web publishes live events from Redis: the app model references cache from api and web.
        Clients(policies["cache-ingress"]).ShouldBe(["api", "web"], ignoreOrder: true);
        // Devices connect to the broker from outside the cluster (it refuses anyone without credentials); inside, the api
        // and the simulated devices (the app model gives the simulator the broker's address).
        Clients(policies["mqtt-ingress"]).ShouldBe(["api", "devices"], ignoreOrder: true);
        OpenPorts(policies["mqtt-ingress"]).ShouldBe(["mqtt"]);
    }

    [Fact]
    public async Task Servers_run_the_app_models_images_and_arguments_on_volume_claims_and_migrations_run_once_before_api_serves()
    {
        var render = await RenderAsync("production");
        using var manifest = await ManifestAsync();
        var resources = manifest.RootElement.GetProperty("resources");

        var servers = render.All<V1StatefulSet>().ToDictionary(set => set.Metadata.Name);
        servers.Keys.ShouldBe(["cache", "postgres", "mqtt"], ignoreOrder: true);
        servers.Values.ShouldAllBe(set => set.Spec.VolumeClaimTemplates.Count == 1);
        foreach (var (name, server) in servers)
        {
            var container = server.Spec.Template.Spec.Containers.Single();
            container.Image.ShouldBe(resources.GetProperty(name).GetProperty("image").GetString(), name);
            (container.Args ?? []).ShouldBe(resources.GetProperty(name).GetProperty("args").EnumerateArray().Select(arg => arg.GetString()), name);
            container.VolumeMounts.Single(mount => mount.Name == "data").MountPath
                .ShouldBe(resources.GetProperty(name).GetProperty("volumes")[0].GetProperty("target").GetString(), name);
        }

        string.Join(' ', servers["postgres"].Spec.Template.Spec.Containers.Single().Args).ShouldContain("-c shared_buffers=1GB");
        // The telemetry log's durability: Redis keeps an append-only file, not only snapshots.
        string.Join(' ', servers["cache"].Spec.Template.Spec.Containers.Single().Args).ShouldContain("--appendonly yes --appendfsync everysec");
        var job = render.All<V1Job>().Single();
        job.Metadata.Name.ShouldBe("migrations");
        job.Spec.Template.Spec.Containers.Single().Args.ShouldBe(["--migrate"]);
        job.Spec.Template.Spec.Containers.Single().Image.ShouldBe(render.Deployment("api").Spec.Template.Spec.Containers.Single().Image);
        render.Deployment("api").Spec.Template.Spec.InitContainers.Single().Args.ShouldBe(["--wait-for-migrations"]);
        render.Deployment("api").Spec.Template.Metadata.Annotations["prometheus.io/scrape"].ShouldBe("true");
    }

    private static IEnumerable<string> OpenPorts(V1NetworkPolicy policy) =>
        policy.Spec.Ingress.Where(rule => rule.FromProperty is null).SelectMany(rule => rule.Ports).Select(port => port.Port.Value);

    private static IEnumerable<string> Clients(V1NetworkPolicy policy) =>
        policy.Spec.Ingress.Where(rule => rule.FromProperty is not null)
            .SelectMany(rule => rule.FromProperty).Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);

    private static bool AddedByTheDeployment(string name) =>
        name.StartsWith(KubernetesEnvironment.SecretVariablePrefix, StringComparison.Ordinal)
        || KubernetesEnvironment.DeploymentSettings.ContainsKey(name)
        || name is "OTEL_SERVICE_NAME" or KubernetesEnvironment.OtlpEndpoint;

    /// <summary>The parameter a manifest value is exactly, e.g. <c>{operator-token.value}</c>.</summary>
    private static string? SecretParameter(string manifestValue) =>
        Secrets.Keys.FirstOrDefault(secret => manifestValue == $"{{{secret}.value}}");

    /// <summary>Aspire's own manifest of the same app model, to check the tree against.</summary>
    private async Task<JsonDocument> ManifestAsync()
    {
        var path = Path.Combine(_directory, $"manifest-{Guid.NewGuid():N}", "aspire-manifest.json");
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "manifest", "--output-path", path);
        run.ExitCode.ShouldBe(0, run.Error);
        return JsonDocument.Parse(await File.ReadAllTextAsync(path, Cancellation));
    }

    private async Task<KustomizeRender> RenderAsync(string overlay)
    {
        Assert.SkipWhen(KustomizeRender.Kubectl is null, "kubectl is not installed, so `kubectl kustomize` cannot render the overlays.");
        return await KustomizeRender.RenderAsync(KustomizeRender.CommittedTree, overlay, _directory, Secrets, Cancellation);
    }

    private static List<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(root, file)).Order(StringComparer.Ordinal).ToList();

    public void Dispose() => TestDirectories.Delete(_directory);
}
