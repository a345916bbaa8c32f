using k8s;
using k8s.Models;

namespace Fleet.AppHost.Publishing;

/// <summary>What the production overlay adds: autoscaling and a disruption budget for scaled projects, and NetworkPolicies.</summary>
public sealed class KubernetesPolicies(PublishedApp app)
{
    public const int ProductionReplicas = 3;
    public const int MaxReplicas = 10;

    public static IEnumerable<IKubernetesObject<V1ObjectMeta>> Autoscaling(PublishedWorkload project)
    {
        yield return new V2HorizontalPodAutoscaler
        {
            ApiVersion = "autoscaling/v2",
            Kind = "HorizontalPodAutoscaler",
            Metadata = new V1ObjectMeta { Name = project.Name },
            Spec = new V2HorizontalPodAutoscalerSpec
            {
                ScaleTargetRef = new V2CrossVersionObjectReference { Kind = "Deployment", Name = project.Name, ApiVersion = "apps/v1" },
                MinReplicas = ProductionReplicas,
                MaxReplicas = MaxReplicas,
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
            Metadata = new V1ObjectMeta { Name = project.Name },
            Spec = new V1PodDisruptionBudgetSpec
            {
                MinAvailable = ProductionReplicas - 1,
                Selector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(project.Name) },
            },
        };
    }

    /// <summary>
    /// Deny all ingress, then allow what the app model wires: each server or project is reached by the workloads that
    /// reference it (a database's server by those referencing the database), and external endpoints
    /// (<c>WithExternalHttpEndpoints</c>) by anyone on their port.
    /// </summary>
    public IEnumerable<IKubernetesObject<V1ObjectMeta>> NetworkPolicies(IReadOnlySet<string> developmentOnly)
    {
        yield return Policy("default-deny-ingress", new V1LabelSelector(), []);
        foreach (var target in app.Workloads.Where(workload => !workload.IsJob && !developmentOnly.Contains(workload.Name)))
        {
            var clients = app.Workloads.Where(workload => workload.Reaches(target.Resource)).Select(workload => workload.Name).ToList();
            var rules = new List<V1NetworkPolicyIngressRule>();
            if (clients.Count > 0)
            {
                rules.Add(new V1NetworkPolicyIngressRule
                {
                    FromProperty = [.. clients.Select(client => new V1NetworkPolicyPeer { PodSelector = new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(client) } })],
                });
            }

            var external = target.Endpoints.Where(endpoint => endpoint.IsExternal).ToList();
            if (external.Count > 0)
            {
                rules.Add(new V1NetworkPolicyIngressRule { Ports = [.. external.Select(endpoint => new V1NetworkPolicyPort { Port = endpoint.Name, Protocol = "TCP" })] });
            }

            if (rules.Count > 0)
            {
                yield return Policy($"{target.Name}-ingress", new V1LabelSelector { MatchLabels = KubernetesWorkloads.Selector(target.Name) }, rules);
            }
        }
    }

    private static V1NetworkPolicy Policy(string name, V1LabelSelector pods, List<V1NetworkPolicyIngressRule> ingress) => new()
    {
        ApiVersion = "networking.k8s.io/v1",
        Kind = "NetworkPolicy",
        Metadata = new V1ObjectMeta { Name = name },
        Spec = new V1NetworkPolicySpec { PodSelector = pods, PolicyTypes = ["Ingress"], Ingress = ingress.Count > 0 ? ingress : null },
    };
}
