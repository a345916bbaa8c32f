using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Fleet.Api.Infrastructure;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using StackExchange.Redis;

namespace Fleet.Tests.Api;

public sealed partial class DeviceEndpointsTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Registration_returns_a_key_once_and_stores_only_its_sha256()
    {
        var registered = await RegisterAsync("SER-HASH");

        registered.Status.ShouldBe("active");
        registered.DeviceKey.Length.ShouldBeGreaterThanOrEqualTo(43);
        var stored = await ScalarAsync<byte[]>($"SELECT key_hash FROM device_credentials WHERE device_id = '{registered.DeviceId}'");
        stored.ShouldBe(SHA256.HashData(Encoding.UTF8.GetBytes(registered.DeviceKey)));
        (await ScalarAsync<long>($"SELECT count(*) FROM device_credentials WHERE encode(key_hash, 'escape') LIKE '%{registered.DeviceKey[..10]}%'")).ShouldBe(0);
    }

    [Fact]
    public async Task Wrong_enrollment_token_is_a_401_problem()
    {
        using var response = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, Request("SER-TOKEN") with { EnrollmentToken = "guess" }, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await ScalarAsync<long>("SELECT count(*) FROM devices WHERE serial = 'SER-TOKEN'")).ShouldBe(0);
    }

    [Fact]
    public async Task Missing_fields_are_a_400_naming_each_field()
    {
        using var response = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, Request("") with { Region = " " }, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldBe(["serial", "region"], ignoreOrder: true);
    }

    [Fact]
    public async Task Environment_is_blue_by_default_green_when_asked_and_nothing_else()
    {
        var green = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, Request("SER-GREEN") with { Environment = "green" }, Cancellation);
        green.StatusCode.ShouldBe(HttpStatusCode.OK);
        await RegisterAsync("SER-BLUE");
        (await ScalarAsync<string>("SELECT environment FROM devices WHERE serial = 'SER-GREEN'")).ShouldBe("green");
        (await ScalarAsync<string>("SELECT environment FROM devices WHERE serial = 'SER-BLUE'")).ShouldBe("blue");

        using var purple = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, Request("SER-PURPLE") with { Environment = "purple" }, Cancellation);
        purple.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await purple.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["environment"]);
    }

    [Fact]
    public async Task Heartbeat_needs_a_valid_key_of_a_device_in_service()
    {
        (await HeartbeatAsync(null, ValidHeartbeat())).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        (await HeartbeatAsync("not-a-key", ValidHeartbeat())).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var device = await RegisterAsync("SER-SUSPENDED");
        await ScalarAsync<int>($"UPDATE devices SET lifecycle = 'Suspended' WHERE id = '{device.DeviceId}'; SELECT 1");
        using var suspended = await HeartbeatAsync(device.DeviceKey, ValidHeartbeat());
        suspended.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Accepted_heartbeat_updates_latest_values_and_last_seen_in_redis()
    {
        var device = await RegisterAsync("SER-BEAT");

        using var response = await HeartbeatAsync(device.DeviceKey, ValidHeartbeat() with { Battery = 55.5 });

        response.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_api.RedisConnectionString);
        var latest = await redis.GetDatabase().HashGetAllAsync($"fleet:device:{device.DeviceId:N}:latest");
        latest.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString())["battery"].ShouldBe("55.5");
        (await redis.GetDatabase().SortedSetScoreAsync(RedisKeys.StatusFresh, device.DeviceId.ToString("N"))).ShouldNotBeNull();
    }

    [Fact]
    public async Task Invalid_heartbeat_is_a_400_naming_the_field_and_stores_nothing()
    {
        var device = await RegisterAsync("SER-BADBEAT");

        using var response = await HeartbeatAsync(device.DeviceKey, ValidHeartbeat() with { Battery = 150, Slot = "C" });

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldBe(["battery", "slot"], ignoreOrder: true);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(_api.RedisConnectionString);
        (await redis.GetDatabase().KeyExistsAsync($"fleet:device:{device.DeviceId:N}:latest")).ShouldBeFalse();
    }

    [Fact]
    public async Task Malformed_json_is_a_400_problem()
    {
        using var content = new StringContent("{\"serial\": ", Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(FleetHttp.RegisterRoute, content, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail.ShouldNotBeNullOrEmpty();
    }

    [Fact]
    public async Task Fleet_stats_need_the_operator_token_and_count_devices()
    {
        (await _http.GetAsync(FleetHttp.FleetStatsRoute, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);

        var seen = await RegisterAsync("SER-STATS-1");
        await RegisterAsync("SER-STATS-2");
        (await HeartbeatAsync(seen.DeviceKey, ValidHeartbeat())).EnsureSuccessStatusCode();

        using var request = new HttpRequestMessage(HttpMethod.Get, FleetHttp.FleetStatsRoute);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiFactory.OperatorToken);
        using var response = await _http.SendAsync(request, Cancellation);
        var stats = await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<FleetStatsResponse>(Cancellation);

        stats!.ByLifecycle["active"].ShouldBeGreaterThanOrEqualTo(2);
        stats.Total.ShouldBe(stats.ByLifecycle.Values.Sum());
        stats.SeenRecently.ShouldBeGreaterThanOrEqualTo(1);
        stats.SeenRecently.ShouldBeLessThanOrEqualTo(stats.Total);
    }

    [Fact]
    public async Task Fleet_stats_count_devices_by_type_and_hardware_revision()
    {
        await _http.RegisterDeviceAsync(DeviceClient.Registration("SER-STATS-REV") with { Type = "kettle", HardwareRevision = "rev-stats" }, Cancellation);

        var stats = await _http.GetAsOperatorAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation);

        stats!.ByType["kettle"].ShouldBeGreaterThanOrEqualTo(1);
        stats.ByHardwareRevision!["rev-stats"].ShouldBe(1);
        stats.ByHardwareRevision.Values.Sum().ShouldBe(stats.Total);
    }

    [Fact]
    public async Task Health_reports_database_cache_and_applied_migrations()
    {
        using var health = await JsonDocument.ParseAsync(await _http.GetStreamAsync("/health", Cancellation), cancellationToken: Cancellation);

        var entries = health.RootElement.GetProperty("entries");
        foreach (var check in new[] { Fleet.Web.Services.FleetOverview.DatabaseCheck, Fleet.Web.Services.FleetOverview.CacheCheck, "migrations" })
        {
            entries.GetProperty(check).GetProperty("status").GetString().ShouldBe("Healthy");
        }
    }

    [Fact]
    public async Task OpenApi_describes_device_and_operator_routes_and_Development_serves_a_browsable_reference()
    {
        var document = await _http.GetStringAsync("/openapi/v1.json", Cancellation);
        foreach (var route in new[] { FleetHttp.RegisterRoute, FleetHttp.HeartbeatRoute, FleetHttp.TelemetryRoute, "/api/v1/devices/{id}/telemetry/aggregated", "/api/v1/devices/{id}/events" })
        {
            document.ShouldContain($"\"{route}\"");
        }

        using var reference = await _http.GetAsync("/scalar/v1", Cancellation);
        reference.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await reference.Content.ReadAsStringAsync(Cancellation)).ShouldContain("<title>Scalar API Reference</title>");
    }

    /// <summary>
    /// The api skips operator authentication under the device prefix (it cost a sixth of the api's CPU on one-reading
    /// telemetry): that is safe only while every route there is a device route. An operator route put there asks for a
    /// role the skipped authentication would never grant (it fails closed), and this says so before anyone ships it.
    /// </summary>
    [Fact]
    public async Task Every_route_under_the_device_prefix_takes_a_device_key_and_refuses_an_operator_token()
    {
        var routes = _api.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(endpoint => new PathString("/" + endpoint.RoutePattern.RawText!.TrimStart('/')).StartsWithSegments(FleetHttp.DeviceRoutesPrefix))
            .ToList();
        routes.Count.ShouldBeGreaterThanOrEqualTo(4);
        using var admin = await IssuerClient.SignedInClientAsync(_api, "device-prefix-admin", FleetRoles.Admin, Cancellation);
        foreach (var route in routes)
        {
            route.Metadata.GetOrderedMetadata<IAuthorizeData>().ShouldBeEmpty($"{route.RoutePattern.RawText} asks for an operator role");
            var method = route.Metadata.GetMetadata<HttpMethodMetadata>()!.HttpMethods[0];
            var path = RouteParameter().Replace("/" + route.RoutePattern.RawText!.TrimStart('/'), Guid.NewGuid().ToString());
            using var request = new HttpRequestMessage(new HttpMethod(method), path);
            if (method == "POST")
            {
                request.Content = JsonContent.Create(new { });
            }

            using var response = await admin.SendAsync(request, Cancellation);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, $"{method} {path} with an admin's token");
            var problem = await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation);
            problem!.Title.ShouldBe("Device key required", $"{method} {path}");
        }
    }

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex RouteParameter();

    private static RegisterDeviceRequest Request(string serial) => DeviceClient.Registration(serial);

    private static HeartbeatRequest ValidHeartbeat() => new(87.5, -61, "1.4.0", "A", 3600, new GeoLocation(48.1, 11.6));

    private Task<RegisterDeviceResponse> RegisterAsync(string serial) => _http.RegisterDeviceAsync(serial, Cancellation);

    private Task<HttpResponseMessage> HeartbeatAsync(string? key, HeartbeatRequest heartbeat) =>
        _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(heartbeat), Cancellation);

    private Task<T> ScalarAsync<T>(string sql) => Sql.ScalarAsync<T>(_api.DatabaseConnectionString, sql, Cancellation);

    public void Dispose() => _http.Dispose();
}
