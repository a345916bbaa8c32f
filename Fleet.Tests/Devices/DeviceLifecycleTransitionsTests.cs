using Fleet.Api.Devices;

namespace Fleet.Tests.Devices;

public sealed class DeviceLifecycleTransitionsTests
{
    private const DeviceLifecycle New = DeviceLifecycle.New;
    private const DeviceLifecycle Active = DeviceLifecycle.Active;
    private const DeviceLifecycle Suspended = DeviceLifecycle.Suspended;
    private const DeviceLifecycle Retired = DeviceLifecycle.Retired;

    /// <summary>Every (state, action) pair and where it leads; null is refused.</summary>
    public static TheoryData<DeviceLifecycle, DeviceLifecycleAction, DeviceLifecycle?> Table { get; } = new()
    {
        { New, DeviceLifecycleAction.Activate, Active },
        { New, DeviceLifecycleAction.Suspend, null },
        { New, DeviceLifecycleAction.Retire, Retired },
        { Active, DeviceLifecycleAction.Activate, Active },
        { Active, DeviceLifecycleAction.Suspend, Suspended },
        { Active, DeviceLifecycleAction.Retire, Retired },
        { Suspended, DeviceLifecycleAction.Activate, Active },
        { Suspended, DeviceLifecycleAction.Suspend, Suspended },
        { Suspended, DeviceLifecycleAction.Retire, Retired },
        { Retired, DeviceLifecycleAction.Activate, null },
        { Retired, DeviceLifecycleAction.Suspend, null },
        { Retired, DeviceLifecycleAction.Retire, Retired },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Each_action_from_each_state_leads_where_the_lifecycle_says(DeviceLifecycle from, DeviceLifecycleAction action, DeviceLifecycle? expected) =>
        DeviceLifecycleTransitions.Next(from, action).ShouldBe(expected);

    [Fact]
    public void The_table_covers_every_state_and_action()
    {
        var covered = Table.Select(row => (row.Data.Item1, row.Data.Item2)).ToHashSet();

        var all = Enum.GetValues<DeviceLifecycle>().SelectMany(state => Enum.GetValues<DeviceLifecycleAction>().Select(action => (state, action)));
        covered.ShouldBe(all, ignoreOrder: true);
    }

    [Fact]
    public void Retired_is_terminal()
    {
        foreach (var action in Enum.GetValues<DeviceLifecycleAction>())
        {
            DeviceLifecycleTransitions.Next(Retired, action).ShouldBeOneOf(Retired, null);
        }
    }

    [Theory]
    [InlineData("new", New)]
    [InlineData("Active", Active)]
    [InlineData("suspended", Suspended)]
    [InlineData("RETIRED", Retired)]
    public void Lifecycle_names_parse_case_insensitively_and_print_lowercase(string name, DeviceLifecycle lifecycle)
    {
        DeviceLifecycleTransitions.TryParse(name, out var parsed).ShouldBeTrue();

        parsed.ShouldBe(lifecycle);
        lifecycle.ToName().ShouldBe(name.ToLowerInvariant());
    }

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("asleep")]
    [InlineData(null)]
    public void Unknown_lifecycle_names_do_not_parse(string? name) =>
        DeviceLifecycleTransitions.TryParse(name, out _).ShouldBeFalse();
}
