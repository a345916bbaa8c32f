using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Fleet.AppHost.Hosting;

namespace Fleet.AppHost.Publishing;

/// <summary>
/// Aspire's manifest (schema aspire-8.0): what <c>aspirate</c> and other Aspire deployment tools read. Values a
/// deployment decides (hosts, ports, secrets) are expressions such as <c>{cache.connectionString}</c>; secret
/// parameters carry a "generate" default, never a value.
/// </summary>
public sealed class ManifestPublisher(PublishedModel model, string outputPath) : IAppPublisher
{
    public const string FileName = "aspire-manifest.json";
    public const string SchemaUrl = "https://json.schemastore.org/aspire-8.0.json";

    public string Name => AppPublishers.Manifest;

    private string ManifestPath => outputPath.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? outputPath : Path.Combine(outputPath, FileName);

    public string Publish()
    {
        var path = ManifestPath;
        StagedOutput.WriteFile(path, Render(Path.GetDirectoryName(path)!));
        return path;
    }

    /// <summary>The manifest's text; project paths are relative to <paramref name="manifestDirectory"/>, as Aspire writes them.</summary>
    public string Render(string manifestDirectory)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("$schema", SchemaUrl);
            json.WriteStartObject("resources");
            foreach (var resource in model.Resources)
            {
                json.WriteStartObject(resource.Name);
                switch (resource)
                {
                    case RedisResource redis:
                        WriteRedis(json, redis);
                        break;
                    case PostgresServerResource postgres:
                        WritePostgres(json, postgres);
                        break;
                    case PostgresDatabaseResource database:
                        json.WriteString("type", "value.v0");
                        json.WriteString("connectionString", $"{{{database.Server.Name}.connectionString}};Database={database.DatabaseName}");
                        break;
                    case ProjectResource project:
                        WriteProject(json, project, manifestDirectory);
                        break;
                    case ParameterResource parameter:
                        WriteParameter(json, parameter);
                        break;
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    private void WriteRedis(Utf8JsonWriter json, RedisResource redis)
    {
        var password = model.PasswordOf(redis).Name;
        json.WriteString("type", "container.v0");
        json.WriteString("connectionString", $"{{{redis.Name}.bindings.tcp.host}}:{{{redis.Name}.bindings.tcp.port}},password={{{password}.value}}");
        json.WriteString("image", BackingImages.Redis);
        json.WriteString("entrypoint", "/bin/sh");
        json.WriteStartArray("args");
        json.WriteStringValue("-c");
        json.WriteStringValue("redis-server --requirepass $REDIS_PASSWORD --appendonly yes");
        json.WriteEndArray();
        WriteVolume(json, $"fleet-{redis.Name}-data", "/data");
        json.WriteStartObject("env");
        json.WriteString("REDIS_PASSWORD", $"{{{password}.value}}");
        json.WriteEndObject();
        WriteTcpBinding(json, "redis", PublishedPorts.Redis);
    }

    private void WritePostgres(Utf8JsonWriter json, PostgresServerResource postgres)
    {
        var password = model.PasswordOf(postgres).Name;
        json.WriteString("type", "container.v0");
        json.WriteString("connectionString",
            $"Host={{{postgres.Name}.bindings.tcp.host}};Port={{{postgres.Name}.bindings.tcp.port}};Username=postgres;Password={{{password}.value}}");
        json.WriteString("image", BackingImages.Postgres);
        WriteVolume(json, $"fleet-{postgres.Name}-data", "/var/lib/postgresql/data");
        json.WriteStartObject("env");
        json.WriteString("POSTGRES_HOST_AUTH_METHOD", "scram-sha-256");
        json.WriteString("POSTGRES_INITDB_ARGS", "--auth-host=scram-sha-256 --auth-local=scram-sha-256");
        json.WriteString("POSTGRES_USER", "postgres");
        json.WriteString("POSTGRES_PASSWORD", $"{{{password}.value}}");
        json.WriteEndObject();
        WriteTcpBinding(json, "tcp", PublishedPorts.Postgres);
    }

    private void WriteProject(Utf8JsonWriter json, ProjectResource project, string manifestDirectory)
    {
        json.WriteString("type", "project.v0");
        json.WriteString("path", Path.GetRelativePath(manifestDirectory, project.ProjectPath).Replace('\\', '/'));
        json.WriteStartObject("env");
        json.WriteString("OTEL_DOTNET_EXPERIMENTAL_OTLP_RETRY", "in_memory");
        json.WriteString("ASPNETCORE_FORWARDEDHEADERS_ENABLED", "true");
        json.WriteString("HTTP_PORTS", $"{{{project.Name}.bindings.http.targetPort}}");
        foreach (var variable in model.Wiring(project))
        {
            json.WriteString(variable.Name, Expression(variable.Value));
        }

        json.WriteEndObject();
        json.WriteStartObject("bindings");
        WriteBinding(json, ProjectWiring.HttpEndpoint, "http", "http", PublishedPorts.Http, external: project.IsExternal);
        foreach (var endpoint in project.ExtraEndpoints)
        {
            WriteBinding(json, endpoint.Name, "http", endpoint.Transport, endpoint.TargetPort, external: false);
        }

        json.WriteEndObject();
    }

    private static void WriteParameter(Utf8JsonWriter json, ParameterResource parameter)
    {
        json.WriteString("type", "parameter.v0");
        json.WriteString("value", $"{{{parameter.Name}.inputs.value}}");
        json.WriteStartObject("inputs");
        json.WriteStartObject("value");
        json.WriteString("type", "string");
        json.WriteBoolean("secret", parameter.Secret);
        if (parameter.Secret)
        {
            json.WriteStartObject("default");
            json.WriteStartObject("generate");
            json.WriteNumber("minLength", 32);
            json.WriteBoolean("special", false);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        else
        {
            json.WriteStartObject("default");
            json.WriteString("value", parameter.Value);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>A wired value in the manifest's expression language.</summary>
    public static string Expression(WiredValue value) => value switch
    {
        LiteralValue literal => literal.Value,
        ConnectionStringValue connection => $"{{{connection.Resource.Name}.connectionString}}",
        EndpointUrlValue endpoint => $"{{{endpoint.Project.Name}.bindings.{endpoint.Endpoint}.url}}",
        ParameterValue parameter => $"{parameter.Prefix}{{{parameter.Parameter.Name}.value}}",
        _ => throw new InvalidOperationException($"No manifest expression for {value}."),
    };

    private static void WriteVolume(Utf8JsonWriter json, string name, string target)
    {
        json.WriteStartArray("volumes");
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteString("target", target);
        json.WriteBoolean("readOnly", false);
        json.WriteEndObject();
        json.WriteEndArray();
    }

    private static void WriteTcpBinding(Utf8JsonWriter json, string scheme, int port)
    {
        json.WriteStartObject("bindings");
        json.WriteStartObject("tcp");
        json.WriteString("scheme", scheme);
        json.WriteString("protocol", "tcp");
        json.WriteString("transport", "tcp");
        json.WriteNumber("targetPort", port);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteBinding(Utf8JsonWriter json, string name, string scheme, string transport, int targetPort, bool external)
    {
        json.WriteStartObject(name);
        json.WriteString("scheme", scheme);
        json.WriteString("protocol", "tcp");
        json.WriteString("transport", transport);
        json.WriteNumber("targetPort", targetPort);
        if (external)
        {
            json.WriteBoolean("external", true);
        }

        json.WriteEndObject();
    }
}
