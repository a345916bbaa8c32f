using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Api;

public sealed class OperatorDevicesTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly ApiFactory _api = fixture.Api;
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Pages_hold_page_size_devices_in_serial_order_and_total_counts_every_match()
    {
        await ExecuteAsync("""
            INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, lifecycle, created_at)
            SELECT gen_random_uuid(), 'PG-' || lpad(i::text, 4, '0'), 'meter', 'rev-a', 'page-region', 'blue', '{}', 'Active', now()
            FROM generate_series(1, 300) AS i
            """);

        var first = await ListAsync("region=page-region");
        first.Total.ShouldBe(300);
        first.Items.Select(d => d.Serial).ShouldBe(Serials(1, 50));

        var third = await ListAsync("region=page-region&page=3&pageSize=100");
        third.Total.ShouldBe(300);
        third.Items.Select(d => d.Serial).ShouldBe(Serials(201, 100));

        var beyond = await ListAsync("region=page-region&page=4&pageSize=100");
        beyond.Items.ShouldBeEmpty();
        beyond.Total.ShouldBe(300);

        (await ListAsync("region=page-region&pageSize=500")).Items.Count.ShouldBe(300);

        static IEnumerable<string> Serials(int from, int count) => Enumerable.Range(from, count).Select(i => $"PG-{i:0000}");
    }

    [Theory]
    [InlineData("", "F-1,F-2,F-3,F-4")]
    [InlineData("lifecycle=suspended", "F-1")]
    [InlineData("lifecycle=NEW", "F-3")]
    [InlineData("type=sensor", "F-1,F-4")]
    [InlineData("hardwareRevision=rev-b", "F-1,F-3")]
    [InlineData("environment=green", "F-1,F-3")]
    [InlineData("tag=roof", "F-1,F-2")]
    [InlineData("tag=north", "F-1,F-4")]
    [InlineData("firmware=1.0.0", "F-2,F-4")]
    [InlineData("type=sensor&tag=north&firmware=1.0.0", "F-4")]
    [InlineData("lifecycle=active&tag=roof&environment=blue", "F-2")]
    [InlineData("type=meter&lifecycle=retired", "")]
    public async Task Filters_narrow_the_list_and_combine(string filters, string expected)
    {
        await ExecuteAsync("""
            INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, firmware_version, lifecycle, created_at) VALUES
            (gen_random_uuid(), 'F-1', 'sensor', 'rev-b', 'filter-region', 'green', '{roof,north}', '2.0.0', 'Suspended', now()),
            (gen_random_uuid(), 'F-2', 'meter', 'rev-a', 'filter-region', 'blue', '{roof}', '1.0.0', 'Active', now()),
            (gen_random_uuid(), 'F-3', 'meter', 'rev-b', 'filter-region', 'green', '{}', NULL, 'New', now()),
            (gen_random_uuid(), 'F-4', 'sensor', 'rev-a', 'filter-region', 'blue', '{north}', '1.0.0', 'Retired', now()),
            (gen_random_uuid(), 'F-5', 'sensor', 'rev-b', 'elsewhere', 'green', '{roof,north}', '1.0.0', 'Active', now())
            ON CONFLICT (serial) DO NOTHING
            """);

        var page = await ListAsync($"region=filter-region&{filters}");

        var serials = expected.Split(',', StringSplitOptions.RemoveEmptyEntries);
        page.Items.Select(d => d.Serial).ShouldBe(serials);
        page.Total.ShouldBe(serials.Length);
    }

    [Theory]
    [InlineData(null, "1,2,3,4")]
    [InlineData("serial", "1,2,3,4")]
    [InlineData("-serial", "4,3,2,1")]
    [InlineData("name", "3,4,1,2")]
    [InlineData("-name", "1,4,3,2")]
    [InlineData("type", "2,3,1,4")]
    [InlineData("-type", "4,1,3,2")]
    [InlineData("region", "2,4,1,3")]
    [InlineData("-region", "3,1,4,2")]
    [InlineData("createdAt", "2,3,1,4")]
    [InlineData("-createdAt", "4,1,3,2")]
    [InlineData("lastSeen", "1,4,3,2")]
    [InlineData("-lastSeen", "3,4,1,2")]
    public async Task Sort_orders_by_the_field_either_way_with_nulls_last(string? sort, string expected)
    {
        await ExecuteAsync("""
            INSERT INTO devices (id, serial, name, type, hardware_revision, region, environment, tags, lifecycle, created_at, last_seen_at) VALUES
            (gen_random_uuid(), 'SORT-1', 'charlie', 'c-type', 'rev-a', 'r-c', 'blue', '{}', 'Active', '2026-01-01T02:00:00Z', '2026-01-02T01:00:00Z'),
            (gen_random_uuid(), 'SORT-2', NULL, 'a-type', 'rev-a', 'r-a', 'blue', '{}', 'Active', '2026-01-01T00:00:00Z', NULL),
            (gen_random_uuid(), 'SORT-3', 'alpha', 'b-type', 'rev-a', 'r-d', 'blue', '{}', 'Active', '2026-01-01T01:00:00Z', '2026-01-02T03:00:00Z'),
            (gen_random_uuid(), 'SORT-4', 'bravo', 'd-type', 'rev-a', 'r-b', 'blue', '{}', 'Active', '2026-01-01T03:00:00Z', '2026-01-02T02:00:00Z')
            ON CONFLICT (serial) DO NOTHING
            """);

        var page = await ListAsync(sort is null ? "q=SORT-" : $"q=SORT-&sort={sort}");

        page.Items.Select(d => d.Serial).ShouldBe(expected.Split(',').Select(n => $"SORT-{n}"));
        page.Items.Single(d => d.Serial == "SORT-2").LastSeenAt.ShouldBeNull();
        page.Items.Single(d => d.Serial == "SORT-3").LastSeenAt.ShouldBe(DateTimeOffset.Parse("2026-01-02T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData("100%", "QE-100%-A")]
    [InlineData("qe-100%-a", "QE-100%-A")]
    [InlineData("p_7", "QE-1000-B")]
    [InlineData("PUMP", "QE-1000-B,QE-2000-C")]
    [InlineData("%", "QE-100%-A")]
    [InlineData("no-such-device", "")]
    public async Task Free_text_matches_serial_or_name_case_insensitively_with_wildcards_taken_literally(string q, string expected)
    {
        await ExecuteAsync("""
            INSERT INTO devices (id, serial, name, type, hardware_revision, region, environment, tags, lifecycle, created_at) VALUES
            (gen_random_uuid(), 'QE-100%-A', NULL, 'meter', 'rev-a', 'q-region', 'blue', '{}', 'Active', now()),
            (gen_random_uuid(), 'QE-1000-B', 'pump_7', 'meter', 'rev-a', 'q-region', 'blue', '{}', 'Active', now()),
            (gen_random_uuid(), 'QE-2000-C', 'pumpX7', 'meter', 'rev-a', 'q-region', 'blue', '{}', 'Active', now())
            ON CONFLICT (serial) DO NOTHING
            """);

        var page = await ListAsync($"region=q-region&q={Uri.EscapeDataString(q)}");

        page.Items.Select(d => d.Serial).ShouldBe(expected.Split(',', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData("page=0", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=501", "pageSize")]
    [InlineData("sort=color", "sort")]
    [InlineData("sort=-", "sort")]
    [InlineData("sort=--serial", "sort")]
    [InlineData("lifecycle=asleep", "lifecycle")]
    public async Task Bad_list_parameters_are_a_400_naming_the_parameter(string query, string parameter)
    {
        using var response = await SendAsync(HttpMethod.Get, $"{FleetHttp.DevicesRoute}?{query}");

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldBe([parameter]);
    }

    [Fact]
    public async Task Detail_shows_the_device_and_after_a_heartbeat_its_latest_values_from_redis()
    {
        var registered = await _http.RegisterDeviceAsync("OD-DETAIL", Cancellation);

        var before = await DetailAsync(registered.DeviceId);
        before.Device.Serial.ShouldBe("OD-DETAIL");
        before.Device.Lifecycle.ShouldBe("active");
        before.Device.Location.ShouldBe(new GeoLocation(48.1, 11.6));
        before.Latest.ShouldBeNull();

        (await HeartbeatAsync(registered.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        var after = await DetailAsync(registered.DeviceId);

        after.Latest.ShouldNotBeNull();
        (after.Latest with { SeenAt = null }).ShouldBe(new LatestHeartbeat(87.5, -61, "1.4.0", "A", 3600, new GeoLocation(48.1, 11.6), null));
        after.Latest.SeenAt!.Value.ShouldBe(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("POST", "/activate")]
    [InlineData("POST", "/suspend")]
    [InlineData("POST", "/retire")]
    public async Task Unknown_device_is_a_404_problem(string method, string action)
    {
        using var response = await SendAsync(new HttpMethod(method), $"{FleetHttp.DevicesRoute}/{Guid.NewGuid()}{action}");

        response.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
    }

    [Fact]
    public async Task Suspending_stops_the_device_key_at_once_and_activating_restores_it()
    {
        var device = await _http.RegisterDeviceAsync("OD-SUSPEND", Cancellation);
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await ChangeAsync(device.DeviceId, "suspend")).Lifecycle.ShouldBe("suspended");
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        (await ScalarAsync<string>($"SELECT lifecycle FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("Suspended");

        (await ChangeAsync(device.DeviceId, "activate")).Lifecycle.ShouldBe("active");
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Suspending_on_one_replica_stops_the_key_on_another_that_had_it_cached()
    {
        // Both replicas cache keys for the default TTL (minutes); only the pub/sub message can make the other one forget.
        using var otherReplica = _api.WithWebHostBuilder(_ => { });
        using var other = otherReplica.CreateClient();
        var device = await _http.RegisterDeviceAsync("OD-REPLICA", Cancellation);
        (await HeartbeatAsync(device.DeviceKey, other)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
        (await HeartbeatAsync(device.DeviceKey, other)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await ChangeAsync(device.DeviceId, "suspend")).Lifecycle.ShouldBe("suspended");
        await Eventually.TrueAsync(
            async () => (await HeartbeatAsync(device.DeviceKey, other)).StatusCode == HttpStatusCode.Forbidden,
            TimeSpan.FromSeconds(10), "the other replica to refuse the suspended device's key", Cancellation);

        (await ChangeAsync(device.DeviceId, "activate")).Lifecycle.ShouldBe("active");
        await Eventually.TrueAsync(
            async () => (await HeartbeatAsync(device.DeviceKey, other)).StatusCode == HttpStatusCode.Accepted,
            TimeSpan.FromSeconds(10), "the other replica to accept the reactivated device's key", Cancellation);

        var again = await DeviceEnrollmentTests.RegisterWithKeyAsync(_http, DeviceClient.Registration("OD-REPLICA"), device.DeviceKey, Cancellation);
        again.DeviceId.ShouldBe(device.DeviceId);
        await Eventually.TrueAsync(
            async () => (await HeartbeatAsync(device.DeviceKey, other)).StatusCode == HttpStatusCode.Unauthorized,
            TimeSpan.FromSeconds(10), "the other replica to refuse the replaced key", Cancellation);
        (await HeartbeatAsync(again.DeviceKey, other)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Retired_is_terminal_and_a_refused_change_is_a_409_naming_both_states()
    {
        var device = await _http.RegisterDeviceAsync("OD-RETIRE", Cancellation);
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Accepted);

        (await ChangeAsync(device.DeviceId, "retire")).Lifecycle.ShouldBe("retired");
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        foreach (var (action, wanted) in new[] { ("activate", "active"), ("suspend", "suspended") })
        {
            using var refused = await SendAsync(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{device.DeviceId}/{action}");
            refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
            var problem = await refused.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation);
            problem!.Detail.ShouldBe($"The device is retired and cannot become {wanted}.");
            problem.Extensions["current"]!.ToString().ShouldBe("retired");
            problem.Extensions["wanted"]!.ToString().ShouldBe(wanted);
        }

        (await ChangeAsync(device.DeviceId, "retire")).Lifecycle.ShouldBe("retired");
        (await ScalarAsync<string>($"SELECT lifecycle FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("Retired");
    }

    [Fact]
    public async Task New_device_can_be_activated_but_not_suspended()
    {
        var device = await _http.RegisterDeviceAsync("OD-NEW", Cancellation);
        await ExecuteAsync($"UPDATE devices SET lifecycle = 'New' WHERE id = '{device.DeviceId}'");

        using var refused = await SendAsync(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{device.DeviceId}/suspend");
        refused.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await refused.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Detail.ShouldBe("The device is new and cannot become suspended.");
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Forbidden);

        var activated = await ChangeAsync(device.DeviceId, "activate");
        activated.Lifecycle.ShouldBe("active");
        activated.Serial.ShouldBe("OD-NEW");
        (await HeartbeatAsync(device.DeviceKey)).StatusCode.ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task Asking_for_the_current_state_again_changes_nothing()
    {
        var device = await _http.RegisterDeviceAsync("OD-AGAIN", Cancellation);

        (await ChangeAsync(device.DeviceId, "activate")).Lifecycle.ShouldBe("active");
        (await ChangeAsync(device.DeviceId, "suspend")).Lifecycle.ShouldBe("suspended");
        (await ChangeAsync(device.DeviceId, "suspend")).Lifecycle.ShouldBe("suspended");
        (await ScalarAsync<string>($"SELECT lifecycle FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("Suspended");
    }

    [Fact]
    public async Task An_operator_moves_a_device_to_green_with_an_event_and_an_audit_entry()
    {
        var serial = $"OD-ENV-{Guid.NewGuid():N}";
        var device = await _http.RegisterDeviceAsync(serial, Cancellation);

        using var moved = await PutEnvironmentAsync(device.DeviceId, DeviceEnvironments.Green);
        using var again = await PutEnvironmentAsync(device.DeviceId, DeviceEnvironments.Green);

        moved.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await moved.Content.ReadFromJsonAsync<DeviceSummary>(Cancellation))!.Environment.ShouldBe("green");
        again.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await ScalarAsync<string>($"SELECT environment FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("green");
        (await ScalarAsync<string>($"SELECT from_state || '>' || to_state FROM device_events WHERE device_id = '{device.DeviceId}' AND kind = 'environment'")).ShouldBe("blue>green");
        (await ScalarAsync<long>($"SELECT count(*) FROM audit_entries WHERE target_id = '{device.DeviceId}' AND action = 'set-environment'")).ShouldBe(1);
        (await ListAsync($"environment=green&q={serial}")).Items.ShouldHaveSingleItem().Id.ShouldBe(device.DeviceId);
        (await DetailAsync(device.DeviceId)).Device.Environment.ShouldBe("green");
    }

    [Theory]
    [InlineData("purple")]
    [InlineData("Green")]
    [InlineData(null)]
    public async Task A_bad_environment_is_a_400_naming_the_field_and_changes_nothing(string? environment)
    {
        var device = await _http.RegisterDeviceAsync($"OD-ENV-{Guid.NewGuid():N}", Cancellation);

        using var refused = await PutEnvironmentAsync(device.DeviceId, environment);

        refused.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await refused.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldBe(["environment"]);
        (await ScalarAsync<string>($"SELECT environment FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("blue");
    }

    [Fact]
    public async Task Setting_the_environment_needs_an_operator_and_a_known_device()
    {
        var device = await _http.RegisterDeviceAsync($"OD-ENV-{Guid.NewGuid():N}", Cancellation);
        using var viewer = await IssuerClient.SignedInClientAsync(_api, "od-env-viewer", FleetRoles.Viewer, Cancellation);

        using var asViewer = await viewer.PutAsJsonAsync(DeviceEnvironments.Route(device.DeviceId), new DeviceEnvironmentRequest("green"), Cancellation);
        using var unknown = await PutEnvironmentAsync(Guid.NewGuid(), DeviceEnvironments.Green);

        asViewer.StatusCode.ShouldBe(HttpStatusCode.Forbidden);
        unknown.StatusCode.ShouldBe(HttpStatusCode.NotFound);
        (await ScalarAsync<string>($"SELECT environment FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("blue");
    }

    [Fact]
    public async Task Fleet_stats_count_devices_by_firmware_with_unknown_for_none()
    {
        // Earlier tests' heartbeats reach the registry in batches; write them now so none lands between the two reads below.
        await _api.Services.GetRequiredService<Fleet.Api.Devices.DeviceHeartbeatMirror>().FlushAsync(Cancellation);
        var first = await _http.RegisterDeviceAsync("OD-FW-1", Cancellation);
        var second = await _http.RegisterDeviceAsync("OD-FW-2", Cancellation);
        await _http.RegisterDeviceAsync("OD-FW-3", Cancellation);
        await ExecuteAsync($"UPDATE devices SET firmware_version = '7.7.7' WHERE id IN ('{first.DeviceId}', '{second.DeviceId}')");

        var stats = await _http.GetAsOperatorAsync<FleetStatsResponse>(FleetHttp.FleetStatsRoute, Cancellation);

        stats!.ByFirmware["7.7.7"].ShouldBe(2);
        stats.ByFirmware["unknown"].ShouldBe((int)await ScalarAsync<long>("SELECT count(*) FROM devices WHERE firmware_version IS NULL"));
        stats.ByFirmware.Values.Sum().ShouldBe(stats.Total);
    }

    [Theory]
    [InlineData("GET", "")]
    [InlineData("GET", "/{id}")]
    [InlineData("POST", "/{id}/activate")]
    [InlineData("POST", "/{id}/suspend")]
    [InlineData("POST", "/{id}/retire")]
    [InlineData("PUT", "/{id}/environment")]
    public async Task Operator_routes_are_a_401_without_the_operator_token_and_change_nothing(string method, string path)
    {
        var device = await _http.RegisterDeviceAsync($"OD-AUTH-{Guid.NewGuid():N}", Cancellation);
        var route = FleetHttp.DevicesRoute + path.Replace("{id}", device.DeviceId.ToString(), StringComparison.Ordinal);

        foreach (var token in new[] { null, "not-the-operator-token" })
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), route);
            if (token is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, token);
            }

            using var response = await _http.SendAsync(request, Cancellation);
            response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        (await ScalarAsync<string>($"SELECT lifecycle FROM devices WHERE id = '{device.DeviceId}'")).ShouldBe("Active");
    }

    private async Task<DeviceListResponse> ListAsync(string query) =>
        (await _http.GetAsOperatorAsync<DeviceListResponse>($"{FleetHttp.DevicesRoute}?{query}", Cancellation))!;

    private async Task<DeviceDetail> DetailAsync(Guid id) =>
        (await _http.GetAsOperatorAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{id}", Cancellation))!;

    private async Task<DeviceSummary> ChangeAsync(Guid id, string action)
    {
        using var response = await SendAsync(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{id}/{action}");
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<DeviceSummary>(Cancellation))!;
    }

    private async Task<HttpResponseMessage> PutEnvironmentAsync(Guid id, string? environment)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, DeviceEnvironments.Route(id)) { Content = JsonContent.Create(new DeviceEnvironmentRequest(environment)) };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return await _http.SendAsync(request, Cancellation);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string route)
    {
        using var request = new HttpRequestMessage(method, route);
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        return await _http.SendAsync(request, Cancellation);
    }

    private Task<HttpResponseMessage> HeartbeatAsync(string key, HttpClient? replica = null) =>
        (replica ?? _http).PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(87.5, -61, "1.4.0", "A", 3600, new GeoLocation(48.1, 11.6))), Cancellation);

    private Task ExecuteAsync(string sql) => Sql.ExecuteAsync(_api.DatabaseConnectionString, sql, Cancellation);

    private Task<T> ScalarAsync<T>(string sql) => Sql.ScalarAsync<T>(_api.DatabaseConnectionString, sql, Cancellation);

    public void Dispose() => _http.Dispose();
}
