using Bunit;
using Fleet.Contracts;
using Fleet.Web.Components.Shared;

namespace Fleet.Tests.Web;

public sealed class OverviewCardsTests : IAsyncLifetime
{
    private readonly BunitContext _context = WebTestContext.Create(WebTestContext.Unreachable());

    [Fact]
    public void Status_and_lifecycle_list_every_state_in_a_fixed_order_with_zero_for_those_absent()
    {
        var cards = _context.Render<FleetStatsCards>(parameters => parameters.Add(card => card.Stats, Stats(
            byStatus: new() { ["offline"] = 3, ["online"] = 90 },
            byLifecycle: new() { ["active"] = 93 })));

        Rows(cards, "status").ShouldBe([("online", "90"), ("at-risk", "0"), ("offline", "3"), ("unknown", "0")]);
        Rows(cards, "lifecycle").ShouldBe([("new", "0"), ("active", "93"), ("suspended", "0"), ("retired", "0")]);
    }

    [Fact]
    public void Firmware_type_and_region_are_largest_first_and_many_versions_fold_into_other()
    {
        var firmware = Enumerable.Range(1, 10).ToDictionary(i => $"1.{i}.0", i => i);

        var cards = _context.Render<FleetStatsCards>(parameters => parameters.Add(card => card.Stats, Stats(
            byFirmware: firmware, byType: new() { ["meter"] = 5, ["tracker"] = 9 }, byRegion: new() { ["eu-west"] = 14 })));

        Rows(cards, "firmware").ShouldBe([("1.10.0", "10"), ("1.9.0", "9"), ("1.8.0", "8"), ("1.7.0", "7"), ("1.6.0", "6"), ("1.5.0", "5"), ("1.4.0", "4"), ("other", "6")]);
        Rows(cards, "type").ShouldBe([("tracker", "9"), ("meter", "5")]);
        Rows(cards, "region").ShouldBe([("eu-west", "14")]);
    }

    [Fact]
    public void An_empty_fleet_says_so_instead_of_showing_empty_cards()
    {
        var cards = _context.Render<FleetStatsCards>(parameters => parameters.Add(card => card.Stats, Stats()));

        cards.Find("[data-testid=counts-firmware-empty]").TextContent.ShouldContain("No device has reported its firmware yet");
        cards.Find("[data-testid=counts-type-empty]").TextContent.ShouldContain("No devices yet");
        Rows(cards, "status").ShouldAllBe(row => row.Count == "0");
    }

    private static List<(string Key, string Count)> Rows(IRenderedComponent<FleetStatsCards> cards, string card) =>
        [.. cards.FindAll($"[data-testid=counts-{card}] .fleet-counts-row")
            .Select(row => (row.GetAttribute("data-testid")![$"counts-{card}-".Length..], row.GetAttribute("data-count")!))];

    private static FleetStatsResponse Stats(
        Dictionary<string, int>? byStatus = null,
        Dictionary<string, int>? byLifecycle = null,
        Dictionary<string, int>? byFirmware = null,
        Dictionary<string, int>? byType = null,
        Dictionary<string, int>? byRegion = null) =>
        new(0, 0, byLifecycle ?? [], byType ?? [], byRegion ?? [], byFirmware ?? [], byStatus ?? []);

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync() => _context.DisposeAsync();
}
