using System.Text.Json;
using Fleet.Contracts;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Fleet.Api.Rollouts;

/// <summary>One stored gate evaluation: the verdict and every number behind it, one column each.</summary>
public sealed class GateEvaluation
{
    public long Id { get; set; }

    public Guid RolloutId { get; set; }

    public int PhaseIndex { get; set; }

    public double PhasePercent { get; set; }

    public DateTimeOffset EvaluatedAt { get; set; }

    public GateVerdict Verdict { get; set; }

    public List<string> Reasons { get; set; } = [];

    public TimeSpan SoakElapsed { get; set; }

    public TimeSpan MinimumSoak { get; set; }

    public int Cohort { get; set; }

    public int Healthy { get; set; }

    public int Failed { get; set; }

    public int InFlight { get; set; }

    public int NotYetEnrolled { get; set; }

    public double SuccessRatio { get; set; }

    public double SuccessThreshold { get; set; }

    public double FailureRatio { get; set; }

    public double MaxFailureRatio { get; set; }

    public int UpdatedDevices { get; set; }

    public int UpdatedOffline { get; set; }

    public int NotUpdatedDevices { get; set; }

    public int NotUpdatedOffline { get; set; }

    public required string Test { get; set; }

    public double? Statistic { get; set; }

    public double? PValue { get; set; }

    public double Alpha { get; set; }

    /// <summary>Every health signal's comparison (offline, rebooted, erroring), stored as one jsonb document.</summary>
    public List<GateHealthComparison> Health { get; set; } = [];

    /// <summary>Devices healthy or failed when the gate ran.</summary>
    public int Finished { get; set; }

    /// <summary>Finished devices the gate needed before it could pass or breach (the plan's minimum, or all the phase held).</summary>
    public int RequiredFinished { get; set; }

    /// <summary>The pass or breach the gate held back as a wait because fewer devices had finished; null when none was.</summary>
    public GateVerdict? Withheld { get; set; }

    public static GateEvaluation From(Guid rolloutId, int phaseIndex, double percent, DateTimeOffset at, GateResult result) => new()
    {
        RolloutId = rolloutId,
        PhaseIndex = phaseIndex,
        PhasePercent = percent,
        EvaluatedAt = at,
        Verdict = result.Verdict,
        Reasons = [.. result.Reasons],
        SoakElapsed = result.Input.SoakElapsed,
        MinimumSoak = result.Input.Phase.MinimumSoak,
        Cohort = result.Input.Cohort,
        Healthy = result.Input.Healthy,
        Failed = result.Input.Failed,
        InFlight = result.Input.InFlight,
        NotYetEnrolled = result.Input.NotYetEnrolled,
        SuccessRatio = result.SuccessRatio,
        SuccessThreshold = result.Input.Phase.SuccessThreshold,
        FailureRatio = result.FailureRatio,
        MaxFailureRatio = result.Input.Phase.MaxFailureRatio,
        UpdatedDevices = result.Input.Updated.Devices,
        UpdatedOffline = result.Input.Updated.Offline,
        NotUpdatedDevices = result.Input.NotUpdated.Devices,
        NotUpdatedOffline = result.Input.NotUpdated.Offline,
        Test = result.Test,
        Statistic = result.Statistic,
        PValue = result.PValue,
        Alpha = result.Alpha,
        Health = [.. result.Health],
        Finished = result.Input.Finished,
        RequiredFinished = result.Input.RequiredFinished,
        Withheld = result.Withheld,
    };
}

internal sealed class GateEvaluationConfiguration : IEntityTypeConfiguration<GateEvaluation>
{
    public void Configure(EntityTypeBuilder<GateEvaluation> gate)
    {
        gate.ToTable("gate_evaluations");
        gate.HasKey(g => g.Id);
        gate.Property(g => g.Id).UseIdentityAlwaysColumn();
        gate.HasOne<Rollout>().WithMany().HasForeignKey(g => g.RolloutId).OnDelete(DeleteBehavior.Cascade);
        var verdictName = new ValueConverter<GateVerdict, string>(v => v.ToString().ToLowerInvariant(), name => Enum.Parse<GateVerdict>(name, true));
        gate.Property(g => g.Verdict).HasConversion(verdictName).HasMaxLength(8);
        gate.Property(g => g.Withheld).HasConversion(verdictName).HasMaxLength(8);
        gate.Property(g => g.Test).HasMaxLength(64);
        gate.Property(g => g.Health).HasColumnType("jsonb").HasConversion(
            health => JsonSerializer.Serialize(health, JsonSerializerOptions.Web),
            json => JsonSerializer.Deserialize<List<GateHealthComparison>>(json, JsonSerializerOptions.Web) ?? new List<GateHealthComparison>(),
            new ValueComparer<List<GateHealthComparison>>((a, b) => a!.SequenceEqual(b!), list => list.Aggregate(0, (hash, c) => HashCode.Combine(hash, c)), list => list.ToList()));
        gate.HasIndex(g => new { g.RolloutId, g.Id });
    }
}
