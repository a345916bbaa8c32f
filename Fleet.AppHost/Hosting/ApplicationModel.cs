namespace Fleet.AppHost.Hosting;

/// <summary>Anything the app model holds: a server, a database, a project, a parameter.</summary>
public interface IResource
{
    string Name { get; }

    /// <summary>What it is, as the console table and apphost.json show it.</summary>
    string Kind { get; }
}

/// <summary>A resource other resources reach with a connection string (<c>ConnectionStrings__{name}</c>).</summary>
public interface IResourceWithConnectionString : IResource;

/// <summary>A resource other resources wait for (<see cref="ResourceBuilderExtensions.WaitFor{T}"/>).</summary>
public interface IResourceWithWaitSupport : IResource;

public interface IResourceBuilder<out T> where T : IResource
{
    IDistributedApplicationBuilder ApplicationBuilder { get; }

    T Resource { get; }
}

internal sealed record ResourceBuilder<T>(IDistributedApplicationBuilder ApplicationBuilder, T Resource) : IResourceBuilder<T> where T : IResource;

/// <summary>A value handed to resources; secret ones are generated once and kept in the state folder.</summary>
public sealed class ParameterResource(string name, string value, bool secret, string? secretFile) : IResource
{
    public string Name { get; } = name;

    public string Kind => "parameter";

    public string Value { get; } = value;

    public bool Secret { get; } = secret;

    /// <summary>Where a generated secret is stored, so scripts and tests can read it; null when configuration supplied it.</summary>
    public string? SecretFile { get; } = secretFile;
}

public sealed class RedisResource(string name) : IResourceWithConnectionString, IResourceWithWaitSupport
{
    public string Name { get; } = name;

    public string Kind => "redis";
}

public sealed class PostgresServerResource(string name) : IResourceWithConnectionString, IResourceWithWaitSupport
{
    public string Name { get; } = name;

    public string Kind => "postgres";
}

public sealed class PostgresDatabaseResource(string name, string databaseName, PostgresServerResource server) : IResourceWithConnectionString, IResourceWithWaitSupport
{
    public string Name { get; } = name;

    public string Kind => "database";

    public string DatabaseName { get; } = databaseName;

    public PostgresServerResource Server { get; } = server;
}

/// <summary>A .NET project the AppHost builds with itself and runs as one or more child processes.</summary>
public sealed class ProjectResource(string name, string projectPath) : IResourceWithWaitSupport
{
    public string Name { get; } = name;

    public string Kind => "project";

    /// <summary>Absolute path of the .csproj.</summary>
    public string ProjectPath { get; } = projectPath;

    public int Replicas { get; internal set; } = 1;

    /// <summary>A port to use when it is free (one replica only), so a URL stays the same between runs.</summary>
    public int? PreferredPort { get; internal set; }

    /// <summary>The AppHost's own dashboard: started first, not sent OTLP settings, not stopped from its own page.</summary>
    public bool IsDashboard { get; internal set; }

    public string? HealthCheckPath { get; internal set; }

    /// <summary>Reached from outside the cluster when deployed (Aspire's <c>WithExternalHttpEndpoints</c>).</summary>
    public bool IsExternal { get; internal set; }

    /// <summary>Deployed only to development environments (the simulated fleet), never to production.</summary>
    public bool IsDevelopmentOnly { get; internal set; }

    public List<IResource> References { get; } = [];

    public List<IResourceWithWaitSupport> WaitsFor { get; } = [];

    public List<EnvironmentValue> Environment { get; } = [];

    /// <summary>Ports beyond the HTTP one (the dashboard's OTLP/gRPC), named as manifest bindings are.</summary>
    public List<ProjectEndpoint> ExtraEndpoints { get; } = [];
}

/// <summary>
/// An environment variable whose value is known only when the process starts (a parameter, a port).
/// <paramref name="Parameter"/> names the parameter it comes from, so publishers write a reference, never the value.
/// </summary>
public sealed record EnvironmentValue(string Name, Func<string> Value, ParameterResource? Parameter = null);

/// <summary>A named port a project listens on besides HTTP; <paramref name="Transport"/> is <c>http</c> or <c>http2</c>.</summary>
public sealed record ProjectEndpoint(string Name, int TargetPort, string Transport);
