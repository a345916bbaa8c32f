using System.Text;
using System.Text.Json.Nodes;

namespace Fleet.Tests.Api.Fuzz;

/// <summary>One malformed request: what it tries, and the parts of the request that differ from a well-formed one.</summary>
public sealed record FuzzCase(string Name, string Path, string Query, byte[]? Body, string? ContentType, string? Authorization);

/// <summary>
/// A seeded, bounded corpus of malformed requests for one operation: garbage auth, malformed and hostile bodies (truncated
/// JSON, wrong types, huge numbers, NaN, deep nesting, invalid UTF-8, control characters, NUL, lone surrogates), hostile
/// query values (huge and negative paging, out-of-range dates, NUL) and path values. Every case but the auth ones carries
/// valid credentials, so it reaches the handler.
/// </summary>
public sealed class FuzzCorpus(int seed, string validAuthorization, Func<ApiOperation, string, string> realPathValue)
{
    private const string JsonType = "application/json";
    private const int MutatedLeavesPerOperation = 10;
    private readonly Random _random = new(seed);

    private static readonly string[] RawBodies =
    [
        "", " ", "{", "{\"", "{\"a\":", "[", "]", "null", "true", "0", "-1", "\"text\"", "[]", "{}", "{}}", "{\"a\":1,}", "{'a':1}",
        "{\"a\":1e999}", "NaN", "{\"a\":NaN}", "{\"a\":Infinity}", "{\"a\":-Infinity}", "{\"a\":\"\\u0000\"}", "{\"a\":\"\\ud800\"}",
        "\u0000", "{\"a\":1}{\"a\":2}", "{\"a\":99999999999999999999999999999999999999}", "{\"a\":-0.0e-99999}",
        new string('[', 5_000) + new string(']', 5_000), string.Concat(Enumerable.Repeat("{\"a\":", 3_000)) + "1" + new string('}', 3_000),
    ];

    private static readonly byte[][] InvalidUtf8 =
    [
        [0xFF, 0xFE, 0x7B, 0x7D], [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xC3, 0x28, 0x22, 0x7D], [0xEF, 0xBB, 0xBF, 0xC0, 0xAF],
        [0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xED, 0xA0, 0x80, 0x22, 0x7D],
    ];

    private static readonly string[] ContentTypes =
    [
        "text/plain", "application/json; charset=utf-7", "application/x-www-form-urlencoded", "multipart/form-data; boundary=" + new string('b', 200),
        "multipart/form-data", "application/xml", "application/json; charset=\u00ff",
    ];

    private static readonly string[] Authorizations =
    [
        "Bearer wrong", "Device wrong", "Basic Zm9vOmJhcg==", "Bearer", "Device ", "Bearer " + new string('a', 8_000), "Device \u00e9\u00e9", "Digest x",
    ];

    private static readonly string[] IntegerValues = ["-1", "0", "2147483647", "2147483648", "-2147483648", "99999999999999999999999", "1.5", "NaN", "abc", "", "%00"];

    private static readonly string[] TextValues =
    [
        "%00", "a%00b", "%01", "%1F", "%7F", "%FF", "%ED%A0%80", "%C3%28", "'%20OR%201=1--", "%25", "%", new string('q', 5_000), "\\", "%E2%80%AE",
    ];

    private static readonly string[] DateValues =
    [
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-01-01T00:00:00%2B05:00", "2026-13-45T99:00:00Z", "-1", "garbage", "0001-01-01", "%00",
    ];

    // No %00: the test host's client refuses such a path before sending it; Kestrel answers it 400 before routing.
    private static readonly string[] PathValues = ["not-a-guid", "%01", "00000000-0000-0000-0000-000000000000", "..%2F..%2Fetc", new string('f', 3_000)];

    public IEnumerable<FuzzCase> For(ApiOperation operation)
    {
        var path = Fill(operation, _ => null);
        var sample = operation.SampleBody?.ToJsonString();
        var body = sample is null ? null : Encoding.UTF8.GetBytes(sample);
        var contentType = operation.BodyContentType is JsonType or null ? JsonType : operation.BodyContentType;

        foreach (var authorization in Authorizations.Prepend(null))
        {
            yield return new FuzzCase($"auth '{Shorten(authorization)}'", path, "", body, contentType, authorization);
        }


        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            foreach (var value in PathValues.Append(Guid.NewGuid().ToString()))
            {
                yield return Valid($"path {parameter.Name}={Shorten(value)}", Fill(operation, name => name == parameter.Name ? value : null), "", body, contentType);
            }
        }

        foreach (var testCase in QueryCases(operation, path, body, contentType))
        {
            yield return testCase;
        }

        if (operation.Method is "GET" or "DELETE" && operation.BodyContentType is null)
        {
            yield return Valid("GET with a JSON body", path, "", Encoding.UTF8.GetBytes("{\"a\":"), JsonType);
            yield break;
        }

        foreach (var raw in RawBodies)
        {
            yield return Valid($"body {Shorten(raw)}", path, "", Encoding.UTF8.GetBytes(raw), JsonType);
        }

        foreach (var bytes in InvalidUtf8)
        {
            yield return Valid($"invalid UTF-8 {Convert.ToHexString(bytes)}", path, "", bytes, JsonType);
        }

        foreach (var type in ContentTypes.Append(null))
        {
            yield return Valid($"content type '{Shorten(type)}'", path, "", body ?? Encoding.UTF8.GetBytes("{}"), type);
        }

        if (operation.SampleBody is { } shape)
        {
            yield return Valid("the schema's own shape", path, "", body, contentType);
            foreach (var (leaf, json) in Mutations(shape).OrderBy(_ => _random.Next()).Take(MutatedLeavesPerOperation * 4))
            {
                yield return Valid($"body with {leaf}", path, "", Encoding.UTF8.GetBytes(json), contentType);
            }
        }
    }

    private IEnumerable<FuzzCase> QueryCases(ApiOperation operation, string path, byte[]? body, string? contentType)
    {
        yield return Valid("unknown query parameter with NUL", path, "?zz%00=%00&zz=%01", body, contentType);
        var names = operation.Parameters.Where(p => p.In == "query").ToList();
        if (names.Any(p => p.Name == "page") && names.Any(p => p.Name == "pageSize"))
        {
            foreach (var paging in new[] { "page=2147483647&pageSize=500", "page=4294968&pageSize=500", "page=-1&pageSize=-1", "page=0&pageSize=0", "page=1&pageSize=2147483647" })
            {
                yield return Valid($"paging {paging}", path, "?" + paging, body, contentType);
            }
        }

        foreach (var parameter in names)
        {
            var values = parameter.Format == "date-time" ? DateValues
                : parameter.Type is "integer" or "number" ? IntegerValues
                : parameter.Format == "uuid" ? PathValues
                : TextValues;
            foreach (var value in values)
            {
                yield return Valid($"query {parameter.Name}={Shorten(value)}", path, $"?{parameter.Name}={value}", body, contentType);
            }
        }
    }

    /// <summary>The sample body with one leaf replaced: each string, number, boolean, array and object gets hostile values in turn.</summary>
    private static IEnumerable<(string Leaf, string Json)> Mutations(JsonNode shape)
    {
        foreach (var (pointer, leaf) in Leaves(shape, "$"))
        {
            var replacements = leaf switch
            {
                JsonObject => new[] { "[]", "\"x\"", "null", "{\"unknown\":{\"deep\":[1,2,3]}}" },
                JsonArray => ["{}", "[null]", "[" + string.Join(',', Enumerable.Repeat("\"x\"", 20_000)) + "]", "[[[[[]]]]]", "\"x\""],
                JsonValue value when value.GetValueKind() == System.Text.Json.JsonValueKind.String =>
                    ["\"\\u0000\"", "\"a\\u0000b\"", "\"\\ud800\"", "\"\\udc00x\"", "\"\\u0001\\u001f\"", "\"\\u007f\\u0085\"", "\"\"", "\" \"", $"\"{new string('z', 5_000)}\"", "1", "{}", "null", "\"\\u202e\""],
                _ => ["1e308", "-1e308", "1e999", "-1", "0", "2147483648", "9223372036854775808", "-9223372036854775809", "0.0000000001", "\"1\"", "\"NaN\"", "true", "null", "[]"],
            };
            foreach (var replacement in replacements)
            {
                yield return ($"{pointer}={Shorten(replacement)}", Replace(shape, leaf, replacement));
            }
        }
    }

    private static IEnumerable<(string Pointer, JsonNode Leaf)> Leaves(JsonNode node, string pointer)
    {
        yield return (pointer, node);
        var children = node switch
        {
            JsonObject obj => obj.Where(p => p.Value is not null).Select(p => ($"{pointer}.{p.Key}", p.Value!)),
            JsonArray array => array.Where(item => item is not null).Select((item, i) => ($"{pointer}[{i}]", item!)),
            _ => [],
        };
        foreach (var (childPointer, child) in children)
        {
            foreach (var leaf in Leaves(child, childPointer))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>The shape's JSON with <paramref name="leaf"/> written as <paramref name="raw"/> (raw text, so NaN and 1e999 survive).</summary>
    private static string Replace(JsonNode shape, JsonNode leaf, string raw)
    {
        const string marker = "\"__fuzz_marker__\"";
        var copy = shape.DeepClone();
        var path = leaf.GetPath();
        if (path == "$")
        {
            return raw;
        }

        var target = Find(copy, path);
        target?.ReplaceWith(JsonValue.Create("__fuzz_marker__"));
        return copy.ToJsonString().Replace(marker, raw, StringComparison.Ordinal);
    }

    private static JsonNode? Find(JsonNode root, string path)
    {
        foreach (var node in Leaves(root, "$").Select(l => l.Leaf))
        {
            if (node.GetPath() == path)
            {
                return node;
            }
        }

        return null;
    }

    private FuzzCase Valid(string name, string path, string query, byte[]? body, string? contentType) =>
        new(name, path, query, body, contentType, validAuthorization);

    private string Fill(ApiOperation operation, Func<string, string?> value)
    {
        var path = operation.Path;
        foreach (var parameter in operation.Parameters.Where(p => p.In == "path"))
        {
            path = path.Replace($"{{{parameter.Name}}}", value(parameter.Name) ?? realPathValue(operation, parameter.Name), StringComparison.Ordinal);
        }

        return path;
    }

    private static string Shorten(string? text) => text is null ? "none" : text.Length <= 40 ? text.ReplaceLineEndings(" ") : text[..40] + $"…({text.Length})";
}
