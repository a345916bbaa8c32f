using Fleet.AppHost.Hosting;
using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>What the production overlay adds: autoscaling and a disruption budget for api, and NetworkPolicies.</summary>
public sealed class KubernetesPolicies(PublishedModel model)
{
    public const int ProductionApiReplicas = 3;
    public const int MaxApiReplicas = 10;

    public static IEnumerable<IKubernetesObject<V1ObjectMeta>> Autoscaling(ProjectResource api)
    {
        yield return new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = new V1ObjectMeta { Name = api.Name },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { Kind = "Deployment", Name = api.Name, ApiVersion = "apps/v1" },
                MinReplicas = ProductionApiReplicas,
                MaxReplicas = MaxApiReplicas,
                Metrics =
                [
                    new V2MetricSpec
                    {
                        Type = "Resource",
                        Resource = new V2ResourceMetricSource { Name = "cpu", Target = new V2MetricTarget { Type = "Utilization", AverageUtilization = 70 } },
                    },
                ],
            },
        };
        yield return new V1PodDisruptionBudget
        {
            ApiVersion = "policy/v1",
            Kind = "PodDisruptionBudget",
            Metadata = new V1ObjectMeta { Name = api.Name },
            Spec = new V1PodDisruptionBudgetSpec
            {
                MinAvailable = ProductionApiReplicas - 1,
                Selector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(api.Name) },
            },
        };
    }

    /// <summary>
    /// Deny all ingress, then allow what the app model's references need: each server or project is reached only by
    /// the projects that reference it (and PostgreSQL by the migrations Job); every pod may send OTLP to the
    /// dashboard; projects nobody references (web, the dashboard) are open on HTTP for users.
    /// </summary>
    public IEnumerable<IKubernetesObject<V1ObjectMeta>> NetworkPolicies()
    {
        yield return Policy("default-deny-ingress", new V1LabelSelector(), []);
        foreach (var resource in model.Resources)
        {
            var target = resource switch
            {
                ProjectResource { IsDevelopmentOnly: true } => null,
                RedisResource or PostgresServerResource or ProjectResource => resource.Name,
                _ => null,
            };
            if (target is null)
            {
                continue;
            }

            var clients = model.Projects.Where(project => project.References.Any(reference => Reaches(reference, resource)))
                .Select(project => project.Name).ToList();
            if (resource is PostgresServerResource)
            {
                clients.Add(KubernetesWorkloads.MigrationsJob);
            }

            var rules = new List<V1NetworkPolicyIngressRule>();
            if (clients.Count > 0)
            {
                rules.Add(new V1NetworkPolicyIngressRule
                {
                    FromProperty = clients.Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(client) } }).ToList(),
                });
            }

            if (resource is ProjectResource { IsDashboard: true } dashboard)
            {
                rules.Add(new V1NetworkPolicyIngressRule
                {
                    FromProperty = [new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector() }],
                    Ports = dashboard.ExtraEndpoints.Select(endpoint => Port(endpoint.Name)).ToList(),
                });
            }

            // Entry points no other project calls (web, the dashboard) take users' HTTP; api only its callers'.
            if (resource is ProjectResource && clients.Count == 0)
            {
                rules.Add(new V1NetworkPolicyIngressRule { Ports = [Port(ProjectWiring.HttpEndpoint)] });
            }

            if (rules.Count > 0)
            {
                yield return Policy($"{target}-ingress", new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(target) }, rules);
            }
        }
    }

    private static bool Reaches(IResource reference, IResource target) =>
        reference == target || (reference is PostgresDatabaseResource database && database.Server == target);

    private static V1NetworkPolicyPort Port(string name) => new() { Port = name, Protocol = "TCP" };

    private static V1NetworkPolicy Policy(string name, V1LabelSelector pods, List<V1NetworkPolicyIngressRule> ingress) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1NetworkPolicySpec { PodSelector = pods, PolicyTypes = ["Ingress"], Ingress = ingress.Count > 0 ? ingress : null },
    };
}
