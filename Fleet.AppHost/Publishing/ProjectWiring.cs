using Fleet.AppHost.Hosting;
using Fleet.AppHost.Hosting.Dashboard;

namespace Fleet.AppHost.Publishing;

/// <summary>Where an environment variable's value comes from, before a publisher turns it into its own syntax.</summary>
public abstract record WiredValue;

public sealed record LiteralValue(string Value) : WiredValue;

/// <summary><c>ConnectionStrings__{name}</c>: Redis, a PostgreSQL server or one of its databases.</summary>
public sealed record ConnectionStringValue(IResourceWithConnectionString Resource) : WiredValue;

/// <summary>The URL of a project's endpoint (<c>http</c>, or a named one such as the dashboard's <c>otlp</c>).</summary>
public sealed record EndpointUrlValue(ProjectResource Project, string Endpoint) : WiredValue;

/// <summary>A parameter's value, after a fixed prefix (the OTLP header is <c>x-otlp-api-key={key}</c>).</summary>
public sealed record ParameterValue(ParameterResource Parameter, string Prefix = "") : WiredValue;

public sealed record WiredVariable(string Name, WiredValue Value);

/// <summary>
/// A project's environment as the app model defines it, in the same order and with the same names the local
/// orchestrator sets (connection strings, service discovery, OTLP, the project's own variables), minus what
/// only a local process needs (its URL, console formatting).
/// </summary>
public static class ProjectWiring
{
    public const string HttpEndpoint = "http";

    public static IReadOnlyList<WiredVariable> For(ProjectResource project, PublishedModel model)
    {
        var variables = new List<WiredVariable>
        {
            new("OTEL_SERVICE_NAME", new LiteralValue(project.Name)),
        };
        if (!project.IsDashboard && model.Dashboard is { } dashboard)
        {
            variables.Add(new("OTEL_EXPORTER_OTLP_ENDPOINT", new EndpointUrlValue(dashboard, DashboardWiring.OtlpEndpointName)));
            variables.Add(new("OTEL_EXPORTER_OTLP_PROTOCOL", new LiteralValue("grpc")));
            variables.Add(new("OTEL_EXPORTER_OTLP_HEADERS", new ParameterValue(model.Parameter(DashboardWiring.OtlpApiKeyParameter), "x-otlp-api-key=")));
        }

        foreach (var reference in project.References)
        {
            variables.Add(reference switch
            {
                ProjectResource referenced => new($"services__{referenced.Name}__{HttpEndpoint}__0", new EndpointUrlValue(referenced, HttpEndpoint)),
                IResourceWithConnectionString source => new($"ConnectionStrings__{source.Name}", new ConnectionStringValue(source)),
                _ => throw new InvalidOperationException($"{project.Name} references {reference.Name}, which publishers cannot wire."),
            });
        }

        foreach (var value in project.Environment)
        {
            variables.Add(new(value.Name, value.Parameter is { } parameter ? new ParameterValue(parameter) : new LiteralValue(value.Value())));
        }

        return variables;
    }
}
