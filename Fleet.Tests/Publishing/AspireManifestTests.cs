using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Fleet.Tests.Infrastructure;
using NJsonSchema;

namespace Fleet.Tests.Publishing;

/// <summary><c>--publisher manifest</c> is Aspire's own manifest publisher over Fleet's app model.</summary>
public sealed partial class AspireManifestTests : IDisposable
{
    private static readonly string[] SecretParameters =
        ["operator-token", "enrollment-token", "admin-password", "web-client-secret", "simulator-token", "postgres-password", "cache-password", "mqtt-password"];
    private readonly string _directory = TestDirectories.Create("manifest");
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private string StateDirectory => Path.Combine(_directory, "state");

    [Fact]
    public async Task Manifest_validates_against_Aspires_published_schema_and_project_paths_resolve_from_its_folder()
    {
        var schemaFile = Path.Combine(PublishRun.RepositoryRoot, "..", "shared", "reference", "aspire-manifest-8.0.schema.json");
        var (text, path) = await PublishTextAsync();

        using var manifest = JsonDocument.Parse(text);
        foreach (var resource in manifest.RootElement.GetProperty("resources").EnumerateObject().Where(resource => resource.Value.GetProperty("type").GetString() == "project.v0"))
        {
            var projectPath = resource.Value.GetProperty("path").GetString()!;
            Path.IsPathRooted(projectPath).ShouldBeFalse(projectPath);
            File.Exists(Path.Combine(Path.GetDirectoryName(path)!, projectPath)).ShouldBeTrue($"{resource.Name}: {projectPath} from {path}");
        }

        Assert.SkipUnless(File.Exists(schemaFile), $"Aspire's manifest schema is not beside the repository ({schemaFile}).");
        var schema = await JsonSchema.FromJsonAsync(ForNJsonSchema(await File.ReadAllTextAsync(schemaFile, Cancellation)), Cancellation);
        var errors = schema.Validate(text);
        Describe(errors).ShouldBeEmpty();

        // The same check refuses what the schema forbids: a replica count on a project.v0 resource.
        var broken = JsonNode.Parse(text)!;
        broken["resources"]!["api"]!["replicas"] = 3;
        schema.Validate(broken.ToJsonString()).ShouldNotBeEmpty();
    }

    [Fact]
    public async Task Publishing_the_manifest_starts_nothing_and_exits_quickly()
    {
        var output = Path.Combine(_directory, "out", "aspire-manifest.json");
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, "--publisher", "manifest", "--output-path", output);

        run.ExitCode.ShouldBe(0, run.Error);
        File.Exists(output).ShouldBeTrue();
        run.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));
        run.Output.ShouldNotContain("Login to the dashboard", Case.Insensitive);
        // Local servers, generated secrets and apphost.json all live in the state folder: publishing makes none of them.
        Directory.Exists(StateDirectory).ShouldBeFalse();
    }

    [Fact]
    public async Task Manifest_holds_the_app_model_with_containers_for_the_servers_and_no_dashboard()
    {
        using var manifest = JsonDocument.Parse((await PublishTextAsync()).Text);
        var resources = manifest.RootElement.GetProperty("resources");

        Type(resources, "cache").ShouldBe("container.v0");
        Type(resources, "postgres").ShouldBe("container.v0");
        Type(resources, "mqtt").ShouldBe("container.v0");
        resources.GetProperty("mqtt").GetProperty("image").GetString().ShouldBe("docker.io/eclipse-mosquitto:2");
        resources.GetProperty("mqtt").GetProperty("env").GetProperty("MQTT_ADMIN_PASSWORD").GetString().ShouldBe("{mqtt-password.value}");
        resources.GetProperty("mqtt").GetProperty("volumes")[0].GetProperty("target").GetString().ShouldBe("/mosquitto/data");
        Type(resources, "fleetdb").ShouldBe("value.v0");
        resources.GetProperty("fleetdb").GetProperty("connectionString").GetString().ShouldBe("{postgres.connectionString};Database=fleetdb");
        foreach (var project in new[] { "migrations", "api", "web", "devices" })
        {
            Type(resources, project).ShouldBe("project.v0");
        }

        resources.EnumerateObject().Select(resource => resource.Name).ShouldNotContain(name => name.Contains("dashboard", StringComparison.OrdinalIgnoreCase));
        resources.GetProperty("migrations").GetProperty("args").EnumerateArray().Select(arg => arg.GetString()).ShouldBe(["--migrate"]);
        var api = resources.GetProperty("api").GetProperty("env");
        api.GetProperty("ConnectionStrings__cache").GetString().ShouldBe("{cache.connectionString}");
        api.GetProperty("ConnectionStrings__fleetdb").GetString().ShouldBe("{fleetdb.connectionString}");
        api.GetProperty("ConnectionStrings__mqtt").GetString().ShouldBe("{mqtt.connectionString}");
        api.GetProperty("Fleet__OperatorToken").GetString().ShouldBe("{operator-token.value}");
        foreach (var issuer in new[] { "api", "migrations" })
        {
            var env = resources.GetProperty(issuer).GetProperty("env");
            env.GetProperty("Fleet__Identity__AdminPassword").GetString().ShouldBe("{admin-password.value}", issuer);
            env.GetProperty("Fleet__Identity__ClientSecret").GetString().ShouldBe("{web-client-secret.value}", issuer);
            env.GetProperty("Fleet__Identity__WebUrl").GetString().ShouldBe("{web.bindings.http.url}", issuer);
        }

        var web = resources.GetProperty("web").GetProperty("env");
        web.GetProperty("services__api__http__0").GetString().ShouldBe("{api.bindings.http.url}");
        web.GetProperty("Fleet__Identity__Authority").GetString().ShouldBe("{api.bindings.http.url}");
        web.GetProperty("Fleet__Identity__ClientSecret").GetString().ShouldBe("{web-client-secret.value}");
        web.TryGetProperty("Fleet__OperatorToken", out _).ShouldBeFalse("the web acts with the signed-in user's tokens only");
        var devices = resources.GetProperty("devices").GetProperty("env");
        devices.GetProperty("services__api__http__0").GetString().ShouldBe("{api.bindings.http.url}");
        devices.GetProperty("Fleet__Simulator__FaultsToken").GetString().ShouldBe("{simulator-token.value}");

        foreach (var name in SecretParameters)
        {
            Type(resources, name).ShouldBe("parameter.v0");
            var input = resources.GetProperty(name).GetProperty("inputs").GetProperty("value");
            input.GetProperty("secret").GetBoolean().ShouldBeTrue(name);
            input.GetProperty("default").GetProperty("generate").GetProperty("minLength").GetInt32().ShouldBeGreaterThanOrEqualTo(22);
        }

        // The issuer's signing key is a key, not random characters: a deployment supplies it, every api replica the same.
        var signingKey = resources.GetProperty("issuer-signing-key").GetProperty("inputs").GetProperty("value");
        signingKey.GetProperty("secret").GetBoolean().ShouldBeTrue();
        signingKey.TryGetProperty("default", out _).ShouldBeFalse();
        foreach (var issuer in new[] { "api", "migrations" })
        {
            resources.GetProperty(issuer).GetProperty("env").GetProperty("Fleet__Identity__SigningKey").GetString().ShouldBe("{issuer-signing-key.value}", issuer);
        }
    }

    [Fact]
    public async Task Every_expression_names_a_resource_binding_or_parameter_that_exists()
    {
        using var manifest = JsonDocument.Parse((await PublishTextAsync()).Text);
        var resources = manifest.RootElement.GetProperty("resources");
        var expressions = Strings(resources).SelectMany(text => Expression().Matches(text).Select(match => match.Groups[1].Value)).Distinct().ToList();
        expressions.Count.ShouldBeGreaterThan(10);

        foreach (var expression in expressions)
        {
            var parts = expression.Split('.');
            resources.TryGetProperty(parts[0], out var target).ShouldBeTrue($"{{{expression}}} names no resource");
            var type = target.GetProperty("type").GetString();
            switch (parts[1..])
            {
                case ["connectionString"]:
                    target.TryGetProperty("connectionString", out _).ShouldBeTrue($"{{{expression}}}: {parts[0]} has no connection string");
                    break;
                case ["value"] or ["inputs", "value"]:
                    type.ShouldBeOneOf(["parameter.v0", "annotated.string"], $"{{{expression}}} is not a parameter");
                    break;
                case ["bindings", var binding, "url" or "host" or "port" or "targetPort" or "scheme"]:
                    target.GetProperty("bindings").TryGetProperty(binding, out _).ShouldBeTrue($"{{{expression}}}: {parts[0]} has no binding '{binding}'");
                    break;
                default:
                    throw new ShouldAssertException($"{{{expression}}} is not an expression Aspire's tools resolve");
            }
        }
    }

    [Fact]
    public async Task No_configured_secret_value_appears_in_the_manifest()
    {
        const string configured = "configured-operator-token-0123456789";
        var text = (await PublishTextAsync("--Parameters:operator-token=" + configured)).Text;

        text.ShouldNotContain(configured);
    }

    /// <summary>
    /// NJsonSchema reads draft-07 but neither boolean subschemas (<c>"build": false</c>) nor <c>const</c>: the
    /// equivalent <c>{"not": {}}</c>, <c>{}</c> and one-value <c>enum</c> take their place.
    /// </summary>
    private static string ForNJsonSchema(string schema)
    {
        var root = JsonNode.Parse(schema)!;
        Replace(root);
        return root.ToJsonString();

        static void Replace(JsonNode? node)
        {
            if (node is JsonObject item)
            {
                if (item["const"] is { } constant)
                {
                    item.Remove("const");
                    item["enum"] = new JsonArray(constant.DeepClone());
                }

                if (item["properties"] is JsonObject properties)
                {
                    foreach (var name in properties.Select(property => property.Key).ToList())
                    {
                        if (properties[name] is JsonValue value && value.TryGetValue<bool>(out var allowed))
                        {
                            properties[name] = allowed ? new JsonObject() : new JsonObject { ["not"] = new JsonObject() };
                        }
                    }
                }

                foreach (var child in item.Select(property => property.Value).ToList())
                {
                    Replace(child);
                }
            }
            else if (node is JsonArray array)
            {
                foreach (var child in array.ToList())
                {
                    Replace(child);
                }
            }
        }
    }

    private static IEnumerable<string> Describe(IEnumerable<NJsonSchema.Validation.ValidationError> errors) =>
        errors.SelectMany(error => error is NJsonSchema.Validation.ChildSchemaValidationError child
            ? child.Errors.SelectMany(branch => Describe(branch.Value)).Prepend($"{error.Path}: {error.Kind}")
            : [$"{error.Path}: {error.Kind} {error.Property}"]);

    private async Task<(string Text, string Path)> PublishTextAsync(params string[] extra)
    {
        var path = Path.Combine(_directory, "aspire-manifest.json");
        var run = await PublishRun.RunAsync(StateDirectory, Cancellation, ["--publisher", "manifest", "--output-path", path, .. extra]);
        run.ExitCode.ShouldBe(0, run.Error);
        return (await File.ReadAllTextAsync(path, Cancellation), path);
    }

    private static string? Type(JsonElement resources, string name) =>
        resources.TryGetProperty(name, out var resource) ? resource.GetProperty("type").GetString() : null;

    private static IEnumerable<string> Strings(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => [element.GetString()!],
        JsonValueKind.Object => element.EnumerateObject().SelectMany(property => Strings(property.Value)),
        JsonValueKind.Array => element.EnumerateArray().SelectMany(Strings),
        _ => [],
    };

    [GeneratedRegex(@"\{([A-Za-z0-9_.\-]+)\}")]
    private static partial Regex Expression();

    public void Dispose() => TestDirectories.Delete(_directory);
}
