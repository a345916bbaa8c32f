using System.Text.Json;
using Fleet.Contracts;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.Cli;

/// <summary><c>--page</c>, <c>--page-size</c> and <c>--all</c> on the lists.</summary>
public sealed class CliPagingTests(CliFixture fixture) : IClassFixture<CliFixture>, IDisposable
{
    private readonly CliRunner _cli = new(fixture.Api);
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    private static T Read<T>(CliResult result)
    {
        result.ExitCode.ShouldBe(0, result.ToString());
        return JsonSerializer.Deserialize<T>(result.Out, JsonSerializerOptions.Web)!;
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..24];

    [Fact]
    public async Task Devices_list_gives_the_page_asked_for_and_all_joins_every_page_past_the_apis_cap()
    {
        var region = Unique("page");
        var ids = await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 503, region, Cancellation);

        var second = Read<DeviceListResponse>(await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--region", region, "--page", "2", "--page-size", "200", "--json"));
        var last = Read<DeviceListResponse>(await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--region", region, "--page", "3", "--limit", "250", "--json"));
        var all = Read<DeviceListResponse>(await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--region", region, "--all", "--json"));
        var table = await _cli.RunAsync(fixture.ViewerToken, "devices", "list", "--region", region, "--page-size", "10");

        (second.Items.Count, second.Total).ShouldBe((200, 503));
        (last.Items.Count, last.Total).ShouldBe((3, 503));
        (all.Items.Count, all.Total).ShouldBe((503, 503));
        all.Items.Select(d => d.Id).ShouldBe(ids, ignoreOrder: true);
        table.Out.ShouldContain("10 of 503 devices (page 1 of 51; --page 2 or --all for more)");
    }

    [Theory]
    [InlineData("--page|0")]
    [InlineData("--page-size|501")]
    [InlineData("--page|2|--all")]
    public async Task Paging_out_of_range_or_a_page_with_all_is_exit_2(string paging)
    {
        var listed = await _cli.RunAsync(fixture.ViewerToken, ["devices", "list", .. paging.Split('|')]);

        listed.ExitCode.ShouldBe(2, listed.ToString());
        listed.Error.ShouldContain("--page");
    }

    [Fact]
    public async Task Rollouts_and_alerts_page_too()
    {
        var total = Read<PagedList<RolloutResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "list", "--page-size", "1", "--json")).Total;
        var all = Read<PagedList<RolloutResponse>>(await _cli.RunAsync(fixture.ViewerToken, "rollout", "list", "--all", "--json"));
        var alerts = await _cli.RunAsync(fixture.ViewerToken, "alerts", "list", "--page", "1", "--page-size", "1", "--json");
        var badAlerts = await _cli.RunAsync(fixture.ViewerToken, "alerts", "list", "--page-size", "0");

        all.Items.Count.ShouldBe(total);
        Read<AlertListResponse>(alerts).Items.Count.ShouldBeLessThanOrEqualTo(1);
        badAlerts.ExitCode.ShouldBe(2, badAlerts.ToString());
    }

    public void Dispose() => _cli.Dispose();
}
