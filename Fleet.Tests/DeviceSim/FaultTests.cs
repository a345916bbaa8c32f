using System.Net;
using System.Net.Http.Json;
using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Fleet.Tests.DeviceSim;

public sealed class FaultTests : IAsyncDisposable
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;
    private WebApplication? _app;

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public void A_percentage_of_devices_hits_about_that_share_and_raising_it_keeps_the_devices_already_hit(double percent)
    {
        var low = new FaultInjector(new FaultSettings { OfflinePercent = percent }, seed: 42);
        var high = new FaultInjector(new FaultSettings { OfflinePercent = percent + 10 }, seed: 42);

        var hit = Enumerable.Range(1, 10_000).Where(low.IsOffline).ToList();

        (hit.Count / 100.0).ShouldBe(percent, 1.5);
        hit.ShouldAllBe(index => high.IsOffline(index));
    }

    [Fact]
    public void Each_fault_draws_its_own_devices_and_clock_skew_applies_only_to_its_share()
    {
        var faults = new FaultInjector(new FaultSettings { OfflinePercent = 20, BatteryFaultPercent = 20, ClockSkewSeconds = 30, ClockSkewPercent = 20 }, seed: 1);

        var devices = Enumerable.Range(1, 5000).Select(faults.For).ToList();

        devices.Count(d => d.Offline && d.BatteryFaulty).ShouldBeLessThan(400);
        devices.Count(d => d.ClockSkew == TimeSpan.FromSeconds(30)).ShouldBeInRange(900, 1100);
        devices.Where(d => d.ClockSkew != TimeSpan.Zero).ShouldAllBe(d => d.ClockSkew == TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Faults_applied_while_running_take_effect_for_the_next_turn()
    {
        var faults = new FaultInjector(new FaultSettings(), seed: 1);
        faults.For(1).ShouldBe(DeviceFaults.None);

        faults.Apply(new FaultSettings { OfflinePercent = 100, DropPercent = 5 });

        faults.For(1).Offline.ShouldBeTrue();
        faults.For(1).DropPercent.ShouldBe(5);
    }

    [Fact]
    public async Task With_the_simulator_token_the_faults_endpoint_shows_and_replaces_the_faults_in_force()
    {
        using var http = await StartAsync(new FaultSettings { LatencyMs = 20 });

        (await http.GetFromJsonAsync<FaultSettings>("/faults", Cancellation))!.LatencyMs.ShouldBe(20);
        var changed = new FaultSettings { DropPercent = 12.5, OfflinePercent = 3, BatteryFaultPercent = 4, ClockSkewSeconds = -30, ClockSkewPercent = 50 };
        using var response = await http.PutAsJsonAsync("/faults", changed, Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        (await http.GetFromJsonAsync<FaultSettings>("/faults", Cancellation)).ShouldBe(changed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("Bearer wrong-token")]
    [InlineData("Bearer " + FaultsApiHost.Token + "x")]
    [InlineData("Basic " + FaultsApiHost.Token)]
    [InlineData(FaultsApiHost.Token)]
    public async Task The_faults_endpoints_refuse_a_missing_or_wrong_token_with_a_problem_and_change_nothing(string? authorization)
    {
        _app = await FaultsApiHost.StartAsync(new FaultSettings { LatencyMs = 20 }, Cancellation);
        using var stranger = FaultsApiHost.Client(_app, token: null);
        if (authorization is not null)
        {
            stranger.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", authorization);
        }

        using var read = await stranger.GetAsync("/faults", Cancellation);
        using var write = await stranger.PutAsJsonAsync("/faults", new FaultSettings { OfflinePercent = 100 }, Cancellation);

        foreach (var response in new[] { read, write })
        {
            await ShouldBeRefusedAsync(response, "Send Authorization: Bearer <simulator token>.");
        }

        using var owner = FaultsApiHost.Client(_app);
        (await owner.GetFromJsonAsync<FaultSettings>("/faults", Cancellation)).ShouldBe(new FaultSettings { LatencyMs = 20 });
    }

    [Fact]
    public async Task Without_a_configured_token_the_faults_api_refuses_everyone_naming_the_setting()
    {
        _app = await FaultsApiHost.StartAsync(new FaultSettings(), Cancellation, token: null);

        foreach (var token in new string?[] { null, "", FaultsApiHost.Token })
        {
            using var http = FaultsApiHost.Client(_app, token);
            using var read = await http.GetAsync("/faults", Cancellation);
            using var write = await http.PutAsJsonAsync("/faults", new FaultSettings { OfflinePercent = 100 }, Cancellation);

            await ShouldBeRefusedAsync(read, "Fleet:Simulator:FaultsToken is not set");
            await ShouldBeRefusedAsync(write, "Fleet:Simulator:FaultsToken is not set");
        }
    }

    [Theory]
    [InlineData("""{"dropPercent": 101}""", "dropPercent")]
    [InlineData("""{"latencyMs": -1}""", "latencyMs")]
    [InlineData("""{"offlinePercent": -5}""", "offlinePercent")]
    [InlineData("""{"clockSkewSeconds": 100000}""", "clockSkewSeconds")]
    [InlineData("""{"dropPercent": "lots"}""", "dropPercent")]
    [InlineData("""{"dropPercnt": 5}""", "dropPercnt")]
    [InlineData("""{"dropPercent": 5""", "dropPercent")]
    [InlineData("""not json""", "body")]
    [InlineData("""null""", "body")]
    public async Task Bad_fault_settings_are_refused_with_a_problem_naming_the_field_and_change_nothing(string body, string field)
    {
        using var http = await StartAsync(new FaultSettings { LatencyMs = 20 });

        using var response = await http.PutAsync("/faults", new StringContent(body, System.Text.Encoding.UTF8, "application/json"), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<ValidationProblemDetails>(Cancellation);
        problem!.Errors.Keys.ShouldContain(field);
        (await http.GetFromJsonAsync<FaultSettings>("/faults", Cancellation)).ShouldBe(new FaultSettings { LatencyMs = 20 });
    }

    [Fact]
    public void Faults_and_knobs_come_from_short_command_line_options_and_are_validated_at_start()
    {
        var arguments = SimulatorCommandLine.Translate(["--drop", "5", "--latency=200", "--offline", "10", "--preset", "factory", "--Fleet:Simulator:JitterPercent=20"])!;

        var options = Bind(arguments).Value;

        options.Simulator.Faults.ShouldBe(new FaultSettings { DropPercent = 5, LatencyMs = 200, OfflinePercent = 10 });
        options.Simulator.Preset.ShouldBe("factory");
        options.Simulator.JitterPercent.ShouldBe(20);
        Should.Throw<OptionsValidationException>(() => Bind(SimulatorCommandLine.Translate(["--drop", "150"])!).Value)
            .Message.ShouldContain("DropPercent");
        Should.Throw<OptionsValidationException>(() => Bind(SimulatorCommandLine.Translate(["--preset", "castle"])!).Value)
            .Message.ShouldContain("Preset");
    }

    [Fact]
    public void The_faults_token_is_read_from_the_key_the_AppHost_sets()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [Fleet.Contracts.FleetConfigKeys.SimulatorFaultsToken] = "from-the-apphost" })
            .Build();

        configuration.GetSection(SimulatorOptions.Section).Get<SimulatorOptions>()!.Simulator.FaultsToken.ShouldBe("from-the-apphost");
    }

    [Theory]
    [InlineData("--bogus", "5")]
    [InlineData("--drop")]
    [InlineData("drop", "5")]
    public void Unknown_options_and_missing_values_are_refused(params string[] args) =>
        Should.Throw<ArgumentException>(() => SimulatorCommandLine.Translate(args));

    [Fact]
    public void Help_is_a_request_not_an_error() => SimulatorCommandLine.Translate(["--help"]).ShouldBeNull();

    private static async Task ShouldBeRefusedAsync(HttpResponseMessage response, string detail)
    {
        response.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.ToString().ShouldBe("Bearer");
        response.Content.Headers.ContentType!.MediaType.ShouldBe("application/problem+json");
        var problem = (await response.Content.ReadFromJsonAsync<ProblemDetails>(Cancellation))!;
        problem.Status.ShouldBe(401);
        problem.Detail.ShouldNotBeNull().ShouldContain(detail);
    }

    private static IOptions<SimulatorOptions> Bind(IReadOnlyList<string> arguments)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Fleet:EnrollmentToken"] = "token" })
            .AddCommandLine([.. arguments])
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<SimulatorOptions>().Bind(configuration.GetSection(SimulatorOptions.Section)).ValidateDataAnnotations();
        return services.BuildServiceProvider().GetRequiredService<IOptions<SimulatorOptions>>();
    }

    private async Task<HttpClient> StartAsync(FaultSettings initial)
    {
        _app = await FaultsApiHost.StartAsync(initial, Cancellation);
        return FaultsApiHost.Client(_app);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
