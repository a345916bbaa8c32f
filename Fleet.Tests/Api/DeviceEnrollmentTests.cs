using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Logging.Abstractions;

namespace Fleet.Tests.Api;

/// <summary>
/// The enrollment token enrolls new serials only: an enrolled one gets a new key with its current key, or once after an
/// operator allowed it, and otherwise a 409 that leaves the real device's key working.
/// </summary>
public sealed class DeviceEnrollmentTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly HttpClient _http = fixture.Api.CreateClient();
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_enrollment_token_alone_cannot_take_over_an_enrolled_serial()
    {
        var real = await _http.RegisterDeviceAsync("EN-TAKEOVER", Cancellation);

        using var attempt = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, DeviceClient.Registration("EN-TAKEOVER"), Cancellation);

        attempt.StatusCode.ShouldBe(HttpStatusCode.Conflict);
        (await attempt.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!.Title.ShouldBe("Serial already enrolled");
        (await attempt.Content.ReadAsStringAsync(Cancellation)).ShouldNotContain(real.DeviceId.ToString());
        (await HeartbeatAsync(real.DeviceKey)).ShouldBe(HttpStatusCode.Accepted);
    }

    [Fact]
    public async Task A_device_presenting_its_current_key_gets_a_new_one_and_the_old_one_stops()
    {
        var first = await _http.RegisterDeviceAsync("EN-ROTATE", Cancellation);

        var second = await RegisterWithKeyAsync(_http, DeviceClient.Registration("EN-ROTATE"), first.DeviceKey, Cancellation);

        second.DeviceId.ShouldBe(first.DeviceId);
        second.DeviceKey.ShouldNotBe(first.DeviceKey);
        (await HeartbeatAsync(first.DeviceKey)).ShouldBe(HttpStatusCode.Unauthorized);
        (await HeartbeatAsync(second.DeviceKey)).ShouldBe(HttpStatusCode.Accepted);
        (await Sql.ScalarAsync<long>(fixture.Api.DatabaseConnectionString, "SELECT count(*) FROM devices WHERE serial = 'EN-ROTATE'", Cancellation)).ShouldBe(1);
    }

    [Fact]
    public async Task Another_devices_key_does_not_prove_the_serial()
    {
        await _http.RegisterDeviceAsync("EN-OWNER", Cancellation);
        var other = await _http.RegisterDeviceAsync("EN-OTHER", Cancellation);

        using var request = RegisterRequest(DeviceClient.Registration("EN-OWNER"), other.DeviceKey);
        using var response = await _http.SendAsync(request, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task An_operator_allowance_lets_a_device_that_lost_its_key_enroll_once()
    {
        var lost = await _http.RegisterDeviceAsync("EN-RESET", Cancellation);
        using var grant = new HttpRequestMessage(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{lost.DeviceId}/re-enrollment");
        grant.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        using (var granted = await _http.SendAsync(grant, Cancellation))
        {
            granted.StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        var again = await _http.RegisterDeviceAsync("EN-RESET", Cancellation);
        using var third = await _http.PostAsJsonAsync(FleetHttp.RegisterRoute, DeviceClient.Registration("EN-RESET"), Cancellation);

        again.DeviceId.ShouldBe(lost.DeviceId);
        (await HeartbeatAsync(again.DeviceKey)).ShouldBe(HttpStatusCode.Accepted);
        (await HeartbeatAsync(lost.DeviceKey)).ShouldBe(HttpStatusCode.Unauthorized);
        third.StatusCode.ShouldBe(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Granting_an_allowance_needs_the_operator_token_and_a_known_device()
    {
        (await _http.PostAsync($"{FleetHttp.DevicesRoute}/{Guid.NewGuid()}/re-enrollment", null, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        using var unknown = new HttpRequestMessage(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{Guid.NewGuid()}/re-enrollment");
        unknown.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
        (await _http.SendAsync(unknown, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_simulated_device_that_lost_its_state_is_refused_and_keeps_no_identity()
    {
        var status = new SimulatorStatus();
        var reporter = new DeviceReporter(new FleetApiClient(fixture.Api.CreateClient()), status, new FaultInjector(new FaultSettings(), 1), TimeProvider.System,
            NullLogger<DeviceReporter>.Instance);
        var device = new VirtualDevice(1, new SimulatorTuning { SerialPrefix = "ENSIM" }, DateTimeOffset.UtcNow);
        var enrolled = await _http.RegisterDeviceAsync(device.RegistrationRequest(ApiFactory.EnrollmentToken), Cancellation);

        await reporter.ServeAsync(device, ApiFactory.EnrollmentToken, Cancellation);

        device.Identity.ShouldBeNull();
        status.Current().RegistrationFailures.ShouldBe(1);
        (await HeartbeatAsync(enrolled.DeviceKey)).ShouldBe(HttpStatusCode.Accepted);
    }

    /// <summary>Registers as a device that proves its identity with its current key.</summary>
    public static async Task<RegisterDeviceResponse> RegisterWithKeyAsync(HttpClient http, RegisterDeviceRequest registration, string currentKey, CancellationToken cancellationToken)
    {
        using var request = RegisterRequest(registration, currentKey);
        using var response = await http.SendAsync(request, cancellationToken);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<RegisterDeviceResponse>(cancellationToken))!;
    }

    private static HttpRequestMessage RegisterRequest(RegisterDeviceRequest registration, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, FleetHttp.RegisterRoute) { Content = JsonContent.Create(registration) };
        request.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.DeviceAuthScheme, key);
        return request;
    }

    private async Task<HttpStatusCode> HeartbeatAsync(string key)
    {
        var heartbeat = new HeartbeatRequest(80, -60, "1.0.0", "A", 60, new GeoLocation(48.1, 11.6));
        using var response = await _http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(heartbeat), Cancellation);
        return response.StatusCode;
    }

    public void Dispose() => _http.Dispose();
}
