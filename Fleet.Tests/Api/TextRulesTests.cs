using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;

namespace Fleet.Tests.Api;

/// <summary>
/// Text the fleet refuses (NUL, other control characters, lone surrogates) is a 400 problem naming the field on every
/// route, never a PostgreSQL error (22021) turned 500, and never a heartbeat that poisons the registry mirror.
/// </summary>
public sealed class TextRulesTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private readonly HttpClient _operator = fixture.Api.CreateClient().AsOperator();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("1.0\\u0000x")]
    [InlineData("1.0\\u0007x")]
    [InlineData("1.0\\ud800x")]
    public async Task A_heartbeat_with_bad_firmware_text_is_a_400_naming_firmware(string firmware)
    {
        var device = await _http.RegisterDeviceAsync($"TEXT-BEAT-{firmware.GetHashCode(StringComparison.Ordinal)}", Cancellation);

        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.DeviceKey,
            Json($$"""{"battery":50,"signal":-50,"firmware":"{{firmware}}","slot":"A","uptimeS":1}"""), Cancellation);

        await ShouldNameAsync(response, "firmware");
    }

    [Fact]
    public async Task A_heartbeat_config_key_with_NUL_is_a_400()
    {
        var device = await _http.RegisterDeviceAsync("TEXT-CONFIG", Cancellation);

        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.DeviceKey,
            Json("""{"battery":50,"signal":-50,"firmware":"1.0","slot":"A","uptimeS":1,"config":{"a\u0000":"1"}}"""), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task A_serial_with_NUL_is_a_400_naming_serial()
    {
        using var response = await _http.PostAsync(FleetHttp.RegisterRoute,
            Json($$"""{"enrollmentToken":"{{ApiFactory.EnrollmentToken}}","serial":"SER\u0000X","type":"meter","hardwareRevision":"rev-a","region":"eu"}"""), Cancellation);

        await ShouldNameAsync(response, "serial");
    }

    [Theory]
    [InlineData("""{"name":"n\u0000","kind":"battery_low","severity":"info"}""", "name")]
    [InlineData("""{"name":"n","kind":"metric_threshold","severity":"info","metric":"t\u0000","op":"gt","value":1}""", "metric")]
    public async Task Alert_rule_text_with_NUL_is_a_400_on_create_and_on_replace(string body, string field)
    {
        using (var created = await _operator.PostAsync("/api/v1/alert-rules", Json(body), Cancellation))
        {
            await ShouldNameAsync(created, field);
        }

        using var rule = await _operator.PostAsJsonAsync("/api/v1/alert-rules", new { name = "text rule", kind = "battery_low", severity = "info" }, Cancellation);
        var id = (await rule.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<AlertRuleResponse>(Cancellation))!.Id;
        using var replaced = await _operator.PutAsync($"/api/v1/alert-rules/{id}", Json(body), Cancellation);
        await ShouldNameAsync(replaced, field);
    }

    [Theory]
    [InlineData("""{"reason":"r\u0000"}""", "reason")]
    public async Task Command_cancel_text_with_NUL_is_a_400(string body, string field)
    {
        var device = await _http.RegisterDeviceAsync($"TEXT-CANCEL-{field}", Cancellation);
        using var sent = await _operator.PostAsJsonAsync(CommandsHttp.Route, new SendCommandRequest(CommandNames.Identify, DeviceId: device.DeviceId), Cancellation);
        var command = (await sent.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;

        using var response = await _operator.PostAsync($"{CommandsHttp.Route}/{command.Id}/cancel", Json(body), Cancellation);

        await ShouldNameAsync(response, field);
    }

    [Fact]
    public async Task A_set_config_value_with_NUL_is_a_400_naming_the_setting()
    {
        var device = await _http.RegisterDeviceAsync("TEXT-SETCONFIG", Cancellation);

        using var response = await _operator.PostAsync(CommandsHttp.Route,
            Json($$$"""{"name":"set_config","deviceId":"{{{device.DeviceId}}}","parameters":{"mode":"a\u0000"}}"""), Cancellation);

        await ShouldNameAsync(response, "parameters.mode");
    }

    [Theory]
    [InlineData("/api/v1/devices?q=a%00b", "q")]
    [InlineData("/api/v1/devices?tag=%01", "tag")]
    [InlineData("/api/v1/audit?action=x%00", "action")]
    public async Task A_query_parameter_with_a_control_character_is_a_400_naming_it(string route, string parameter)
    {
        using var response = await _operator.GetAsync(route, Cancellation);

        await ShouldNameAsync(response, parameter);
    }

    [Fact]
    public async Task A_segment_override_region_longer_than_a_device_attribute_is_a_400_naming_it()
    {
        var plan = new { phases = new[] { new { percent = 100, minimumSoak = "00:00:00", successThreshold = 0.9, maxFailureRatio = 0.1 } },
            segmentOverrides = new[] { new { region = new string('r', 65), percents = new[] { 100 } } } };

        using var response = await _operator.PostAsJsonAsync("/api/v1/rollouts", new { releaseId = Guid.NewGuid(), plan }, Cancellation);

        await ShouldNameAsync(response, "plan.segmentOverrides[0].region");
    }

    [Fact]
    public async Task Tabs_and_line_breaks_in_free_text_are_kept()
    {
        var device = await _http.RegisterDeviceAsync("TEXT-NOTE", Cancellation);
        using var sent = await _operator.PostAsJsonAsync(CommandsHttp.Route, new SendCommandRequest(CommandNames.Identify, DeviceId: device.DeviceId), Cancellation);
        var command = (await sent.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;

        using var response = await _operator.PostAsync($"{CommandsHttp.Route}/{command.Id}/cancel", Json("""{"reason":"line one\n\tline two"}"""), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static async Task ShouldNameAsync(HttpResponseMessage response, string field)
    {
        var body = await response.Content.ReadAsStringAsync(Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest, body);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = JsonSerializer.Deserialize<ValidationProblemDetails>(body, JsonSerializerOptions.Web)!;
        problem.Errors.Keys.ShouldContain(field, body);
    }

    public void Dispose()
    {
        _http.Dispose();
        _operator.Dispose();
    }
}
