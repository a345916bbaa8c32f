using Fleet.Api.Rollouts;

namespace Fleet.Tests.Rollouts;

public sealed class DeviceUpdateTransitionsTests
{
    // For each state, every state it may move to (W=waiting P=pending O=offered D=downloading d=downloaded I=installing R=rebooting H=healthy F=failed B=rolled back).
    private static readonly Dictionary<DeviceUpdateState, string> Allowed = new()
    {
        [DeviceUpdateState.Waiting] = "P",
        [DeviceUpdateState.Pending] = "ODdIRHFB",
        [DeviceUpdateState.Offered] = "PDdIRHFB",
        [DeviceUpdateState.Downloading] = "PdIRHFB",
        [DeviceUpdateState.Downloaded] = "PIRHFB",
        [DeviceUpdateState.Installing] = "PRHFB",
        [DeviceUpdateState.Rebooting] = "PHFB",
        [DeviceUpdateState.Healthy] = "B",
        [DeviceUpdateState.Failed] = "B",
        [DeviceUpdateState.RolledBack] = "",
    };

    private static readonly Dictionary<char, DeviceUpdateState> Letters = new()
    {
        ['W'] = DeviceUpdateState.Waiting,
        ['P'] = DeviceUpdateState.Pending,
        ['O'] = DeviceUpdateState.Offered,
        ['D'] = DeviceUpdateState.Downloading,
        ['d'] = DeviceUpdateState.Downloaded,
        ['I'] = DeviceUpdateState.Installing,
        ['R'] = DeviceUpdateState.Rebooting,
        ['H'] = DeviceUpdateState.Healthy,
        ['F'] = DeviceUpdateState.Failed,
        ['B'] = DeviceUpdateState.RolledBack,
    };

    public static TheoryData<DeviceUpdateState, DeviceUpdateState> AllPairs()
    {
        var data = new TheoryData<DeviceUpdateState, DeviceUpdateState>();
        foreach (var from in Enum.GetValues<DeviceUpdateState>())
        {
            foreach (var to in Enum.GetValues<DeviceUpdateState>())
            {
                data.Add(from, to);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AllPairs))]
    public void Every_pair_of_update_states_is_allowed_exactly_as_the_table_says(DeviceUpdateState from, DeviceUpdateState to)
    {
        var expected = Allowed[from].Select(letter => Letters[letter]).Contains(to);

        DeviceUpdateTransitions.CanMove(from, to).ShouldBe(expected);
    }

    [Fact]
    public void The_happy_path_is_walkable_one_step_at_a_time()
    {
        DeviceUpdateState[] path = [DeviceUpdateState.Waiting, DeviceUpdateState.Pending, DeviceUpdateState.Offered, DeviceUpdateState.Downloading,
            DeviceUpdateState.Downloaded, DeviceUpdateState.Installing, DeviceUpdateState.Rebooting, DeviceUpdateState.Healthy];
        for (var i = 1; i < path.Length; i++)
        {
            DeviceUpdateTransitions.CanMove(path[i - 1], path[i]).ShouldBeTrue($"{path[i - 1]} → {path[i]}");
        }
    }

    [Fact]
    public void Devices_can_report_only_states_after_the_offer_and_names_round_trip()
    {
        DeviceUpdateTransitions.Reportable.ShouldNotContain(DeviceUpdateState.Waiting);
        DeviceUpdateTransitions.Reportable.ShouldNotContain(DeviceUpdateState.Pending);
        foreach (var state in Enum.GetValues<DeviceUpdateState>())
        {
            DeviceUpdateTransitions.TryParse(state.ToName(), out var parsed).ShouldBeTrue();
            parsed.ShouldBe(state);
        }

        DeviceUpdateState.RolledBack.ToName().ShouldBe("rolled-back");
    }
}
