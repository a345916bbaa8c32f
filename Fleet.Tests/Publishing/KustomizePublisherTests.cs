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
    private static readonly Dictionary<string, string> Secrets = new[] { "operator-token", "enrollment-token", "otlp-api-key", "dashboard-browser-token", "postgres-password", "cache-password" }
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
            settings.Data.Keys.ShouldContain(reference.Key);
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
    public async Task Env_wiring_matches_the_local_app_model_resource_by_resource(string overlay)
    {
        var render = await RenderAsync(overlay);
        var model = await PublishRun.ModelAsync(StateDirectory, Path.Combine(_directory, "unused"));
        var settings = render.ConfigMap.Data;

        var deployed = model.Projects.Where(project => overlay == "dev" || !project.IsDevelopmentOnly).ToList();
        render.All<V1Deployment>().Select(deployment => deployment.Metadata.Name).ShouldBe(deployed.Select(project => project.Name), ignoreOrder: true);
        foreach (var project in deployed)
        {
            var env = render.Deployment(project.Name).Spec.Template.Spec.Containers.Single().Env;
            var wired = model.Wiring(project);
            var names = env.Select(variable => variable.Name)
                .Where(name => !name.StartsWith(KubernetesEnvironment.SecretVariablePrefix, StringComparison.Ordinal) && !KubernetesEnvironment.DeploymentSettings.ContainsKey(name));
            names.ShouldBe(wired.Select(variable => variable.Name), $"{project.Name}'s variables, in the app model's order");

            foreach (var variable in wired)
            {
                var deployedVariable = env.Single(candidate => candidate.Name == variable.Name);
                var value = deployedVariable.ValueFrom?.ConfigMapKeyRef is { } fromSettings ? settings[fromSettings.Key] : deployedVariable.Value;
                switch (variable.Value)
                {
                    case ParameterValue { Prefix: "" } parameter:
                        deployedVariable.ValueFrom?.SecretKeyRef?.Key.ShouldBe(parameter.Parameter.Name, $"{project.Name}: {variable.Name}");
                        break;
                    case ParameterValue parameter:
                        value.ShouldBe($"{parameter.Prefix}$({KubernetesEnvironment.HelperName(parameter.Parameter.Name)})", $"{project.Name}: {variable.Name}");
                        break;
                    case ConnectionStringValue connection:
                        value.ShouldStartWith(connection.Resource is Fleet.AppHost.Hosting.RedisResource ? "cache:6379," : "Host=postgres;Port=5432;", Case.Sensitive, $"{project.Name}: {variable.Name}");
                        break;
                    default:
                        value.ShouldBe(KubernetesEnvironment.PlainValue(variable.Value), $"{project.Name}: {variable.Name}");
                        break;
                }
            }
        }

        settings["OTEL_EXPORTER_OTLP_ENDPOINT"].ShouldBe("http://dashboard:18889");
        if (overlay == "dev")
        {
            settings["services__api__http__0"].ShouldBe("http://api:8080");
            settings["Fleet__Devices"].ShouldBe("25");
        }
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
        Clients(policies["postgres-ingress"]).ShouldBe(["api", "api-migrations"], ignoreOrder: true);
        // web publishes live events from Redis: the app model references cache from api and web.
        Clients(policies["cache-ingress"]).ShouldBe(["api", "web"], ignoreOrder: true);
    }

    [Fact]
    public async Task Servers_keep_data_on_volume_claims_redis_appends_and_migrations_run_once_before_api_serves()
    {
        var render = await RenderAsync("production");

        var servers = render.All<V1StatefulSet>().ToDictionary(set => set.Metadata.Name);
        servers.Keys.ShouldBe(["cache", "postgres"], ignoreOrder: true);
        servers.Values.ShouldAllBe(set => set.Spec.VolumeClaimTemplates.Count == 1);
        servers["cache"].Spec.Template.Spec.Containers.Single().Args.ShouldContain("--appendonly");
        string.Join(' ', servers["cache"].Spec.Template.Spec.Containers.Single().Args).ShouldContain("--appendonly yes");

        var job = render.All<V1Job>().Single();
        job.Spec.Template.Spec.Containers.Single().Args.ShouldBe(["--migrate"]);
        job.Spec.Template.Spec.Containers.Single().Image.ShouldBe(render.Deployment("api").Spec.Template.Spec.Containers.Single().Image);
        render.Deployment("api").Spec.Template.Spec.InitContainers.Single().Args.ShouldBe(["--wait-for-migrations"]);
        render.Deployment("api").Spec.Template.Metadata.Annotations["prometheus.io/scrape"].ShouldBe("true");
    }

    private static IEnumerable<string> Clients(V1NetworkPolicy policy) =>
        policy.Spec.Ingress.Where(rule => rule.FromProperty is not null)
            .SelectMany(rule => rule.FromProperty).Select(peer => peer.PodSelector.MatchLabels["app.kubernetes.io/name"]);

    private async Task<KustomizeRender> RenderAsync(string overlay)
    {
        Assert.SkipWhen(KustomizeRender.Kubectl is null, "kubectl is not installed, so `kubectl kustomize` cannot render the overlays.");
        return await KustomizeRender.RenderAsync(KustomizeRender.CommittedTree, overlay, _directory, Secrets, Cancellation);
    }

    private static List<string> Files(string root) =>
        Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).Select(file => Path.GetRelativePath(root, file)).Order(StringComparer.Ordinal).ToList();

    public void Dispose() => TestDirectories.Delete(_directory);
}
