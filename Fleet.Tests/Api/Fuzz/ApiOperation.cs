using System.Text.Json;
using System.Text.Json.Nodes;

namespace Fleet.Tests.Api.Fuzz;

/// <summary>A parameter of an operation as the OpenAPI document gives it: where it goes, and its JSON schema type and format.</summary>
public sealed record ApiParameter(string Name, string In, string? Type, string? Format);

/// <summary>One operation of the API's OpenAPI document, with a body that fits its schema when it takes one.</summary>
public sealed record ApiOperation(string Method, string Path, IReadOnlyList<ApiParameter> Parameters, string? BodyContentType, JsonNode? SampleBody)
{
    public override string ToString() => $"{Method} {Path}";

    /// <summary>Every operation of <paramref name="document"/> (an OpenAPI 3.x document as Microsoft.AspNetCore.OpenApi writes it).</summary>
    public static IReadOnlyList<ApiOperation> Read(JsonDocument document)
    {
        var root = document.RootElement;
        var schemas = root.TryGetProperty("components", out var components) && components.TryGetProperty("schemas", out var found) ? found : default;
        var operations = new List<ApiOperation>();
        foreach (var path in root.GetProperty("paths").EnumerateObject())
        {
            foreach (var operation in path.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch"))
            {
                var parameters = operation.Value.TryGetProperty("parameters", out var list)
                    ? list.EnumerateArray().Select(p => Parameter(p, schemas)).ToList()
                    : [];
                string? contentType = null;
                JsonNode? sample = null;
                if (operation.Value.TryGetProperty("requestBody", out var body) && body.TryGetProperty("content", out var content))
                {
                    var first = content.EnumerateObject().First();
                    contentType = first.Name;
                    sample = first.Value.TryGetProperty("schema", out var schema) ? SchemaSample.Of(schema, schemas, 0) : null;
                }

                operations.Add(new ApiOperation(operation.Name.ToUpperInvariant(), path.Name, parameters, contentType, sample));
            }
        }

        return operations;
    }

    private static ApiParameter Parameter(JsonElement parameter, JsonElement schemas)
    {
        var schema = parameter.TryGetProperty("schema", out var given) ? SchemaSample.Resolve(given, schemas) : default;
        return new ApiParameter(parameter.GetProperty("name").GetString()!, parameter.GetProperty("in").GetString()!,
            schema.ValueKind == JsonValueKind.Object ? SchemaSample.TypeOf(schema) : null,
            schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("format", out var format) ? format.GetString() : null);
    }
}

/// <summary>A JSON value of a schema's shape: every property present, strings "x", numbers 1, uuids fresh.</summary>
public static class SchemaSample
{
    private const int MaxDepth = 6;

    public static JsonNode? Of(JsonElement schema, JsonElement schemas, int depth)
    {
        schema = Resolve(schema, schemas);
        if (depth > MaxDepth || schema.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        foreach (var choice in new[] { "oneOf", "anyOf", "allOf" })
        {
            if (schema.TryGetProperty(choice, out var options))
            {
                var first = options.EnumerateArray().Select(o => Resolve(o, schemas)).FirstOrDefault(o => TypeOf(o) != "null");
                return first.ValueKind == JsonValueKind.Object ? Of(first, schemas, depth + 1) : null;
            }
        }

        var format = schema.TryGetProperty("format", out var f) ? f.GetString() : null;
        return TypeOf(schema) switch
        {
            "object" => Object(schema, schemas, depth),
            "array" => new JsonArray(schema.TryGetProperty("items", out var items) ? Of(items, schemas, depth + 1) : "x"),
            "integer" => 1,
            "number" => 1.5,
            "boolean" => true,
            "string" => format switch
            {
                "uuid" => Guid.NewGuid().ToString(),
                "date-time" => DateTimeOffset.UtcNow.ToString("O"),
                "date-span" => "00:05:00",
                _ => "x",
            },
            _ => schema.TryGetProperty("properties", out _) ? Object(schema, schemas, depth) : null,
        };
    }

    public static JsonElement Resolve(JsonElement schema, JsonElement schemas)
    {
        for (var hops = 0; hops < 16 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference); hops++)
        {
            var name = reference.GetString()!.Split('/')[^1];
            if (schemas.ValueKind != JsonValueKind.Object || !schemas.TryGetProperty(name, out schema))
            {
                return default;
            }
        }

        return schema;
    }

    /// <summary>The schema's type; of a 3.1 type list (["null", "string"]) the first that is not null.</summary>
    public static string? TypeOf(JsonElement schema) =>
        !schema.TryGetProperty("type", out var type) ? null
        : type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).FirstOrDefault(t => t != "null")
        : type.GetString();

    private static JsonObject Object(JsonElement schema, JsonElement schemas, int depth)
    {
        var node = new JsonObject();
        if (schema.TryGetProperty("properties", out var properties))
        {
            foreach (var property in properties.EnumerateObject())
            {
                node[property.Name] = Of(property.Value, schemas, depth + 1);
            }
        }
        else if (schema.TryGetProperty("additionalProperties", out var values) && values.ValueKind == JsonValueKind.Object)
        {
            node["key"] = Of(values, schemas, depth + 1);
        }

        return node;
    }
}
