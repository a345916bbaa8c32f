using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Api.Fuzz;
using Fleet.Tests.Infrastructure;

namespace Fleet.Tests.Api;

/// <summary>
/// Walks the API's own OpenAPI document and sends every operation a seeded, bounded corpus of malformed requests
/// (<see cref="FuzzCorpus"/>); nothing may answer 5xx, and the API must still be healthy afterwards.
/// </summary>
public sealed class ApiFuzzTests(ApiFuzzTests.Fixture fixture) : IClassFixture<ApiFuzzTests.Fixture>
{
    private const int Seed = 26;
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task No_operation_answers_5xx_to_malformed_requests_and_the_API_stays_healthy()
    {
        using var http = fixture.Api.CreateClient();
        using var document = JsonDocument.Parse(await http.GetStringAsync("/openapi/v1.json", Cancellation));
        var operations = ApiOperation.Read(document);
        operations.Count.ShouldBeGreaterThan(40, "the document lists the API's operations");
        var seeded = await SeedAsync(http);

        var failures = new List<string>();
        var statuses = new Dictionary<int, int>();
        var sent = 0;
        var clock = Stopwatch.StartNew();
        foreach (var operation in operations)
        {
            var auth = operation.Path.StartsWith("/api/v1/device/", StringComparison.Ordinal)
                ? $"{FleetHttp.DeviceAuthScheme} {seeded.Device.DeviceKey}"
                : $"{FleetHttp.OperatorAuthScheme} {ApiFactory.OperatorToken}";
            var corpus = new FuzzCorpus(Seed, auth, (op, name) => seeded.PathValue(op.Path, name));
            foreach (var testCase in corpus.For(operation))
            {
                sent++;
                var (status, failure) = await SendAsync(http, operation, testCase);
                statuses[status] = statuses.GetValueOrDefault(status) + 1;
                if (failure is not null)
                {
                    failures.Add(failure);
                }
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{sent} malformed requests to {operations.Count} operations in {clock.Elapsed.TotalSeconds:F1} s; answers: "
            + string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key} × {s.Value}")));
        failures.ShouldBeEmpty($"{failures.Count} of {sent} requests failed on the server:\n{string.Join('\n', failures.Take(60))}");
        using var health = await http.GetAsync("/health", Cancellation);
        health.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    /// <summary>The status (0 when the request failed in the client) and, for a server failure, what to report.</summary>
    private static async Task<(int Status, string? Failure)> SendAsync(HttpClient http, ApiOperation operation, FuzzCase testCase)
    {
        using var request = new HttpRequestMessage(new HttpMethod(operation.Method), new Uri(testCase.Path + testCase.Query, UriKind.Relative));
        if (testCase.Body is { } body)
        {
            request.Content = new ByteArrayContent(body);
            if (testCase.ContentType is { } type)
            {
                request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
            }
        }

        if (testCase.Authorization is { } authorization)
        {
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
        }

        try
        {
            using var response = await http.SendAsync(request, Cancellation);
            var status = (int)response.StatusCode;
            if (status < 500)
            {
                return (status, null);
            }

            var text = await response.Content.ReadAsStringAsync(Cancellation);
            return (status, $"{operation} [{testCase.Name}] → {status} {text[..Math.Min(200, text.Length)]}");
        }
        catch (Exception exception) when (exception is HttpRequestException or InvalidOperationException or IOException)
        {
            return (0, $"{operation} [{testCase.Name}] → {exception.GetType().Name}: {exception.Message.Split('\n')[0]}");
        }
    }

    /// <summary>A device, a rule and a command to aim at, so path ids reach stored rows and not only 404s.</summary>
    private static async Task<Seeded> SeedAsync(HttpClient http)
    {
        var device = await http.RegisterDeviceAsync("FUZZ-DEVICE", Cancellation);
        using var rule = await http.SendAsync(Operator(HttpMethod.Post, "/api/v1/alert-rules", new { name = "fuzz", kind = "battery_low", severity = "info" }), Cancellation);
        var ruleId = (await rule.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!.Id;
        using var command = await http.SendAsync(Operator(HttpMethod.Post, CommandsHttp.Route, new SendCommandRequest(CommandNames.Identify, DeviceId: device.DeviceId)), Cancellation);
        var commandId = (await command.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!.Id;
        return new Seeded(device, ruleId, commandId);
    }

    private static HttpRequestMessage Operator(HttpMethod method, string route, object body) => new(method, route)
    {
        Content = JsonContent.Create(body),
        Headers = { Authorization = new(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken) },
    };

    private sealed record Seeded(RegisterDeviceResponse Device, Guid RuleId, Guid CommandId)
    {
        public string PathValue(string path, string name) => name switch
        {
            "deviceId" => Device.DeviceId.ToString(),
            "id" when path.Contains("/commands/", StringComparison.Ordinal) => CommandId.ToString(),
            "id" when path.Contains("/alert-rules/", StringComparison.Ordinal) => RuleId.ToString(),
            "id" when path.Contains("/devices/", StringComparison.Ordinal) => Device.DeviceId.ToString(),
            _ => Guid.NewGuid().ToString(),
        };
    }

    /// <summary>The fuzz API runs in Development (which serves its OpenAPI document) with budgets no fuzz run reaches.</summary>
    public sealed class Fixture(BackingServers servers) : IAsyncLifetime
    {
        public ApiFactory Api { get; private set; } = null!;

        public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken, new Dictionary<string, string?>
        {
            ["environment"] = "Development",
            ["Fleet:Telemetry:RequestsPerDevicePerMinute"] = "100000",
            ["Fleet:Heartbeats:RequestsPerDevicePerMinute"] = "100000",
        });

        public async ValueTask DisposeAsync() => await Api.DisposeAsync();
    }
}
