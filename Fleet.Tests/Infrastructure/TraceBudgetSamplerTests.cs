using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry.Trace;

namespace Fleet.Tests.Infrastructure;

/// <summary>What the sampler and the request filter record, decision by decision, on a clock the test moves.</summary>
public sealed class TraceBudgetSamplerTests
{
    private const string DevicePath = "/api/v1/device";
    private readonly FakeTimeProvider _time = new();
    private readonly TraceBudgetSampler _sampler;

    public TraceBudgetSamplerTests()
    {
        var options = new TraceBudgetOptions { BudgetedTracesPerSecond = 2 };
        options.BudgetedPaths.Add(DevicePath);
        options.BudgetedSpans.Add("telemetry.write");
        _sampler = new TraceBudgetSampler(options, _time);
    }

    [Fact]
    public void Device_requests_are_recorded_up_to_the_budget_per_second_then_again_as_it_refills()
    {
        Requests(10, "/api/v1/device/telemetry").ShouldBe(2, "a full bucket holds one second's budget");

        _time.Advance(TimeSpan.FromMilliseconds(500));
        Requests(10, "/api/v1/device/heartbeat").ShouldBe(1, "half a second refills one token");

        _time.Advance(TimeSpan.FromSeconds(30));
        Requests(10, "/api/v1/device/telemetry").ShouldBe(2, "an idle bucket holds no more than one second's budget");
    }

    [Fact]
    public void Operator_requests_and_other_roots_are_always_recorded()
    {
        Requests(50, "/api/v1/devices").ShouldBe(50, "/api/v1/devices is not under /api/v1/device");
        Requests(50, "/api/v1/rollouts").ShouldBe(50);
        Decisions(50, () => Server()).ShouldBe(50, "a request is left to the filter, which calls ShouldRecordRequest");
        Decisions(50, () => Root("status sweep", ActivityKind.Internal)).ShouldBe(50);
    }

    [Fact]
    public void Device_requests_group_commits_and_calls_outside_traces_each_have_a_budget_of_their_own()
    {
        Decisions(10, () => Root("Npgsql", ActivityKind.Client)).ShouldBe(2);
        Decisions(10, () => Root("telemetry.write", ActivityKind.Internal)).ShouldBe(2);
        Requests(10, "/api/v1/device/telemetry").ShouldBe(2, "a poller's queries leave the devices' budget alone");
    }

    [Fact]
    public void Children_follow_their_parent()
    {

        var recordedLocal = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded);
        var droppedLocal = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.None);
        Decisions(10, () => new SamplingParameters(recordedLocal, recordedLocal.TraceId, "SELECT", ActivityKind.Client)).ShouldBe(10);
        Decisions(10, () => new SamplingParameters(droppedLocal, droppedLocal.TraceId, "telemetry.copy", ActivityKind.Internal)).ShouldBe(0);
    }

    [Fact]
    public void A_budget_of_zero_records_no_budgeted_trace()
    {
        var options = new TraceBudgetOptions { BudgetedTracesPerSecond = 0 };
        options.BudgetedPaths.Add(DevicePath);
        var sampler = new TraceBudgetSampler(options, _time);

        Enumerable.Range(0, 10).Count(_ => sampler.ShouldRecordRequest("/api/v1/device/telemetry")).ShouldBe(0);
        sampler.ShouldRecordRequest("/api/v1/alerts").ShouldBeTrue();
    }

    private int Decisions(int count, Func<SamplingParameters> next) =>
        Enumerable.Range(0, count).Count(_ => _sampler.ShouldSample(next()).Decision == SamplingDecision.RecordAndSample);

    private int Requests(int count, string path) => Enumerable.Range(0, count).Count(_ => _sampler.ShouldRecordRequest(path));

    private static SamplingParameters Server() =>
        new(default, ActivityTraceId.CreateRandom(), "Microsoft.AspNetCore.Hosting.HttpRequestIn", ActivityKind.Server);

    private static SamplingParameters Root(string name, ActivityKind kind) => new(default, ActivityTraceId.CreateRandom(), name, kind);
}
