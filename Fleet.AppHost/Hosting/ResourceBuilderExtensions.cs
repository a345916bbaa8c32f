namespace Fleet.AppHost.Hosting;

/// <summary>The Aspire verbs of the app model: add resources, reference them, wait for them.</summary>
public static class ResourceBuilderExtensions
{
    public static IResourceBuilder<RedisResource> AddRedis(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new RedisResource(name));

    public static IResourceBuilder<PostgresServerResource> AddPostgres(this IDistributedApplicationBuilder builder, string name) =>
        builder.AddResource(new PostgresServerResource(name));

    public static IResourceBuilder<PostgresDatabaseResource> AddDatabase(this IResourceBuilder<PostgresServerResource> server, string name, string? databaseName = null) =>
        server.ApplicationBuilder.AddResource(new PostgresDatabaseResource(name, databaseName ?? name, server.Resource));

    /// <summary>Adds a project by the path of its .csproj, relative to the AppHost's project folder.</summary>
    public static IResourceBuilder<ProjectResource> AddProject(this IDistributedApplicationBuilder builder, string name, string projectPath)
    {
        var fullPath = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, projectPath));
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"Project '{name}' points at {fullPath}, which does not exist.", fullPath);
        }

        return builder.AddResource(new ProjectResource(name, fullPath));
    }

    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<IResourceWithConnectionString> source)
    {
        builder.Resource.References.Add(source.Resource);
        return builder;
    }

    /// <summary>Service discovery: the referencing project gets <c>services__{name}__http__{i}</c> for every replica.</summary>
    public static IResourceBuilder<ProjectResource> WithReference(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<ProjectResource> source)
    {
        builder.Resource.References.Add(source.Resource);
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WaitFor<T>(this IResourceBuilder<ProjectResource> builder, IResourceBuilder<T> dependency)
        where T : IResourceWithWaitSupport
    {
        builder.Resource.WaitsFor.Add(dependency.Resource);
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithReplicas(this IResourceBuilder<ProjectResource> builder, int replicas)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(replicas, 1);
        builder.Resource.Replicas = replicas;
        return builder;
    }

    /// <summary>The project counts as healthy once this path answers 200; <c>WaitFor</c> on it waits for that.</summary>
    public static IResourceBuilder<ProjectResource> WithHttpHealthCheck(this IResourceBuilder<ProjectResource> builder, string path)
    {
        builder.Resource.HealthCheckPath = path;
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, string value)
    {
        builder.Resource.Environment.Add(new EnvironmentValue(name, () => value));
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithEnvironment(this IResourceBuilder<ProjectResource> builder, string name, IResourceBuilder<ParameterResource> parameter)
    {
        builder.Resource.Environment.Add(new EnvironmentValue(name, () => parameter.Resource.Value, parameter.Resource));
        return builder;
    }

    public static IResourceBuilder<ProjectResource> WithExternalHttpEndpoints(this IResourceBuilder<ProjectResource> builder)
    {
        builder.Resource.IsExternal = true;
        return builder;
    }

    /// <summary>Publishers deploy it to development environments only (the Kustomize dev overlay).</summary>
    public static IResourceBuilder<ProjectResource> PublishAsDevelopmentOnly(this IResourceBuilder<ProjectResource> builder)
    {
        builder.Resource.IsDevelopmentOnly = true;
        return builder;
    }
}
