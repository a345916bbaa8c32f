using Fleet.DeviceSim.Updates;

namespace Fleet.Tests.DeviceSim;

public sealed class UpdateTransitionsTests
{
    private static readonly Dictionary<(UpdateStage, UpdateEvent), UpdateStage> Allowed = new()
    {
        [(UpdateStage.Offered, UpdateEvent.DownloadStarted)] = UpdateStage.Downloading,
        [(UpdateStage.Offered, UpdateEvent.DownloadFailed)] = UpdateStage.Failed,
        [(UpdateStage.Downloading, UpdateEvent.DownloadVerified)] = UpdateStage.Downloaded,
        [(UpdateStage.Downloading, UpdateEvent.DownloadFailed)] = UpdateStage.Failed,
        [(UpdateStage.Downloaded, UpdateEvent.InstallStarted)] = UpdateStage.Installing,
        [(UpdateStage.Installing, UpdateEvent.RebootStarted)] = UpdateStage.Rebooting,
        [(UpdateStage.Rebooting, UpdateEvent.BootHealthy)] = UpdateStage.Healthy,
        [(UpdateStage.Rebooting, UpdateEvent.BootFailed)] = UpdateStage.Failed,
        [(UpdateStage.Offered, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Downloading, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Downloaded, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Installing, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Rebooting, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Healthy, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
        [(UpdateStage.Failed, UpdateEvent.RollbackRequested)] = UpdateStage.RolledBack,
    };

    public static TheoryData<UpdateStage, UpdateEvent> EveryPair()
    {
        var data = new TheoryData<UpdateStage, UpdateEvent>();
        foreach (var stage in Enum.GetValues<UpdateStage>())
        {
            foreach (var happened in Enum.GetValues<UpdateEvent>())
            {
                data.Add(stage, happened);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryPair))]
    public void Every_stage_and_event_moves_exactly_as_the_update_lifecycle_allows(UpdateStage from, UpdateEvent happened) =>
        UpdateTransitions.Next(from, happened).ShouldBe(Allowed.TryGetValue((from, happened), out var to) ? to : null);

    [Fact]
    public void The_happy_path_walks_from_offer_to_healthy()
    {
        var stage = UpdateStage.Offered;
        foreach (var happened in new[] { UpdateEvent.DownloadStarted, UpdateEvent.DownloadVerified, UpdateEvent.InstallStarted, UpdateEvent.RebootStarted, UpdateEvent.BootHealthy })
        {
            stage = UpdateTransitions.Next(stage, happened)!.Value;
        }

        stage.ShouldBe(UpdateStage.Healthy);
        stage.IsFinished().ShouldBeTrue();
    }

    [Fact]
    public void Wire_names_are_the_apis_device_update_states() =>
        Enum.GetValues<UpdateStage>().Select(stage => stage.ToName())
            .ShouldBe(["offered", "downloading", "downloaded", "installing", "rebooting", "healthy", "failed", "rolled-back"]);

    [Fact]
    public void A_new_offer_starts_an_update()
    {
        var rollout = Guid.NewGuid();
        UpdateTransitions.Decide(rollout, "2.0.0", "1.0.0", null).ShouldBe(OfferDecision.Start);
        UpdateTransitions.Decide(rollout, "2.0.0", "1.0.0", (Guid.NewGuid(), UpdateStage.Healthy)).ShouldBe(OfferDecision.Start);
        UpdateTransitions.Decide(rollout, "2.0.0", "1.0.0", (Guid.NewGuid(), UpdateStage.Failed)).ShouldBe(OfferDecision.Start);
    }

    [Theory]
    [InlineData(UpdateStage.Downloading)]
    [InlineData(UpdateStage.Rebooting)]
    [InlineData(UpdateStage.Healthy)]
    [InlineData(UpdateStage.Failed)]
    public void An_offer_of_the_same_rollout_again_reports_where_it_is_and_never_restarts(UpdateStage stage)
    {
        var rollout = Guid.NewGuid();
        UpdateTransitions.Decide(rollout, "2.0.0", "1.0.0", (rollout, stage)).ShouldBe(OfferDecision.ReportCurrent);
    }

    [Fact]
    public void An_offer_while_another_update_is_under_way_waits_and_one_of_the_running_version_is_healthy_at_once()
    {
        UpdateTransitions.Decide(Guid.NewGuid(), "2.0.0", "1.0.0", (Guid.NewGuid(), UpdateStage.Installing)).ShouldBe(OfferDecision.Busy);
        UpdateTransitions.Decide(Guid.NewGuid(), "2.0.0", "2.0.0", null).ShouldBe(OfferDecision.AlreadyRunning);
    }

    [Fact]
    public void Slots_install_into_the_inactive_one_boot_on_trial_and_commit_or_go_back()
    {
        var slots = new FirmwareSlots("1.0.0");
        slots.Install("2.0.0").ShouldBe("B");
        slots.Running.ShouldBe(("A", "1.0.0"));

        slots.BootOther();
        slots.Running.ShouldBe(("B", "2.0.0"));
        slots.RevertToPrevious().ShouldBe("A");
        slots.Running.ShouldBe(("A", "1.0.0"));

        slots.Install("2.0.1").ShouldBe("B");
        slots.BootOther();
        slots.Commit();
        slots.Running.ShouldBe(("B", "2.0.1"));

        // An operator's rollback after the commit goes back to the slot the update came from.
        slots.RevertToPrevious().ShouldBe("A");
        slots.Running.ShouldBe(("A", "1.0.0"));
    }
}
