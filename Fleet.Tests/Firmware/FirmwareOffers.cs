using System.Net;
using Fleet.Contracts;
using Fleet.Tests.Rollouts;

namespace Fleet.Tests.Firmware;

/// <summary>Offering a release to one device the way operators do: a rollout targeting it, started, with one 100 % phase.</summary>
public static class FirmwareOffers
{
    public static async Task<RolloutResponse> OfferAsync(HttpClient operatorHttp, Guid releaseId, Guid deviceId, CancellationToken cancellationToken)
    {
        var rollout = await operatorHttp.CreateRolloutAsync(new CreateRolloutRequest(
            releaseId,
            new RolloutTarget(DeviceIds: [deviceId]),
            new RolloutPlan(Phases: [new RolloutPhase(100, TimeSpan.Zero, 1, 0)])), cancellationToken);
        using var started = await operatorHttp.ActAsync(rollout.Id, "start", cancellationToken);
        started.StatusCode.ShouldBe(HttpStatusCode.OK);
        return rollout;
    }
}
