using System.Globalization;
using Fleet.Contracts;

namespace Fleet.Web.Services;

/// <summary>One phase as the wizard edits it: percentages for the operator, turned into the API's ratios on create.</summary>
public sealed class PhaseDraft
{
    public double Percent { get; set; }

    public double SoakMinutes { get; set; }

    public double SuccessPercent { get; set; } = 95;

    public double MaxFailurePercent { get; set; } = 5;

    public RolloutPhase ToPhase() => new(Percent, TimeSpan.FromMinutes(SoakMinutes), SuccessPercent / 100, MaxFailurePercent / 100);
}

/// <summary>The wizard's steps, in order.</summary>
public enum RolloutWizardStep
{
    Release,
    Target,
    Phases,
    Options,
    Review,
}

/// <summary>
/// What the rollout wizard collects, checked step by step with the API's own limits so the operator learns of a
/// mistake on the step that made it; the API checks again on create.
/// </summary>
public sealed class RolloutDraft
{
    public const int MaxPhases = 20;
    public const int MaxPerStratum = 1000;

    public const int MaxMinimumExecuted = 100_000;
    private static readonly TimeSpan MaxSoak = TimeSpan.FromDays(30);

    public Guid? ReleaseId { get; set; }

    public string Name { get; set; } = "";

    public string DeviceTypes { get; set; } = "";

    public string HardwareRevisions { get; set; } = "";

    public string Regions { get; set; } = "";

    public string Tags { get; set; } = "";

    /// <summary>Empty, blue or green.</summary>
    public string Environment { get; set; } = "";

    public bool GreenFirst { get; set; }

    public List<PhaseDraft> Phases { get; set; } =
    [
        new() { Percent = 1, SoakMinutes = 10 },
        new() { Percent = 10, SoakMinutes = 10 },
        new() { Percent = 50, SoakMinutes = 10 },
        new() { Percent = 100, SoakMinutes = 10 },
    ];

    public bool AutoAdvance { get; set; } = true;

    public bool AutoRollback { get; set; }

    public int MaxConcurrentUpdates { get; set; } = 500;

    public double PerDeviceTimeoutMinutes { get; set; } = 15;

    public int Retries { get; set; } = 2;

    /// <summary>At least this many devices of each hardware revision × region in the first phase; null: the API's default (3, a smaller stratum whole).</summary>
    public int? MinPerStratum { get; set; }

    /// <summary>The target's hardware revision × region with the fewest compatible devices, from its last preview.</summary>
    public StratumSize? SmallestStratum { get; set; }

    /// <summary>Finished devices a gate needs before it passes or breaches (the API's minimumExecuted).</summary>
    public int MinimumExecuted { get; set; } = 1;

    /// <summary>How many devices the target's last preview found able to take the release; null until one answers.</summary>
    public int? CompatibleDevices { get; set; }

    /// <summary>Start the rollout as soon as it is created (otherwise it stays a draft).</summary>
    public bool StartNow { get; set; } = true;

    /// <summary>Problems of one step keyed by field (<c>phases[1].percent</c>); empty when the step is complete.</summary>
    public Dictionary<string, string> Validate(RolloutWizardStep step)
    {
        var errors = new Dictionary<string, string>();
        switch (step)
        {
            case RolloutWizardStep.Release when ReleaseId is null:
                errors["releaseId"] = "Choose the firmware release to roll out.";
                break;
            case RolloutWizardStep.Target:
                ValidateTarget(errors);
                break;
            case RolloutWizardStep.Phases:
                ValidatePhases(errors);
                break;
            case RolloutWizardStep.Options:
                ValidateOptions(errors);
                break;
            case RolloutWizardStep.Review:
                foreach (var earlier in Enum.GetValues<RolloutWizardStep>().Where(s => s != RolloutWizardStep.Review))
                {
                    foreach (var (field, message) in Validate(earlier))
                    {
                        errors[field] = message;
                    }
                }

                break;
        }

        return errors;
    }

    public RolloutTarget ToTarget() => new(
        NullIfEmpty(FirmwareUploadForm.Split(DeviceTypes)),
        NullIfEmpty(FirmwareUploadForm.Split(HardwareRevisions)),
        NullIfEmpty(FirmwareUploadForm.Split(Regions)),
        string.IsNullOrEmpty(Environment) ? null : Environment,
        NullIfEmpty(FirmwareUploadForm.Split(Tags)));

    public CreateRolloutRequest ToRequest() => new(
        ReleaseId ?? Guid.Empty,
        ToTarget(),
        new RolloutPlan(
            [.. Phases.Select(phase => phase.ToPhase())],
            AutoAdvance: AutoAdvance,
            AutoRollback: AutoRollback,
            MaxConcurrentUpdates: MaxConcurrentUpdates,
            PerDeviceTimeout: TimeSpan.FromMinutes(PerDeviceTimeoutMinutes),
            Retries: Retries,
            MinPerStratum: MinPerStratum,
            MinimumExecuted: MinimumExecuted),
        string.IsNullOrWhiteSpace(Name) ? null : Name.Trim(),
        GreenFirst);

    public void AddPhase()
    {
        if (Phases.Count < MaxPhases)
        {
            Phases.Insert(Math.Max(0, Phases.Count - 1), new PhaseDraft { Percent = Phases.Count > 1 ? Phases[^2].Percent : 1, SoakMinutes = 10 });
        }
    }

    private void ValidateTarget(Dictionary<string, string> errors)
    {
        if (Environment is not ("" or DeviceEnvironments.Blue or DeviceEnvironments.Green))
        {
            errors["environment"] = "Blue, green or both.";
        }
        else if (GreenFirst && Environment != "")
        {
            errors["greenFirst"] = "Green-first covers both environments: leave the environment on both.";
        }

        if (CompatibleDevices == 0)
        {
            errors["target"] = "No device can take this release with this target: change the target or the release before going on.";
        }
    }

    private void ValidatePhases(Dictionary<string, string> errors)
    {
        if (Phases.Count is 0 or > MaxPhases)
        {
            errors["phases"] = $"A plan has 1 to {MaxPhases} phases.";
            return;
        }

        for (var i = 0; i < Phases.Count; i++)
        {
            var phase = Phases[i];
            var at = string.Create(CultureInfo.InvariantCulture, $"phases[{i}]");
            if (!(phase.Percent is >= 1 and <= 100))
            {
                errors[$"{at}.percent"] = "From 1 to 100 %.";
            }
            else if (i > 0 && phase.Percent <= Phases[i - 1].Percent)
            {
                errors[$"{at}.percent"] = "Larger than the phase before: phases only grow.";
            }
            else if (i == Phases.Count - 1 && phase.Percent != 100)
            {
                errors[$"{at}.percent"] = "The last phase is 100 %.";
            }

            if (phase.SoakMinutes < 0)
            {
                errors[$"{at}.soak"] = "A soak cannot be negative: 0 minutes or more.";
            }
            else if (!(phase.SoakMinutes <= MaxSoak.TotalMinutes))
            {
                errors[$"{at}.soak"] = "At most 30 days.";
            }

            if (phase.SuccessPercent is not (> 0 and <= 100))
            {
                errors[$"{at}.success"] = "Above 0 and at most 100 %: a gate that needs no healthy device passes anything.";
            }

            if (phase.MaxFailurePercent is not (>= 0 and <= 100))
            {
                errors[$"{at}.failure"] = "From 0 to 100 %.";
            }
        }

        if (MinPerStratumError() is { } stratumError)
        {
            errors["minPerStratum"] = stratumError;
        }
    }

    /// <summary>What is wrong with <see cref="MinPerStratum"/>, checked as the operator types: its range, and a stratum of the last preview too small for it.</summary>
    public string? MinPerStratumError()
    {
        if (MinPerStratum is < 0 or > MaxPerStratum)
        {
            return $"From 0 (off) to {MaxPerStratum}.";
        }

        if (MinPerStratum is { } perStratum && SmallestStratum is { } smallest && perStratum > smallest.Devices)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"{smallest.HardwareRevision} × {smallest.Region} has {smallest.Devices} {(smallest.Devices == 1 ? "device" : "devices")} in the target: at most {smallest.Devices}, or leave it empty to take a smaller stratum whole.");
        }

        return null;
    }

    private void ValidateOptions(Dictionary<string, string> errors)
    {
        if (Name.Length > 128)
        {
            errors["name"] = "At most 128 characters.";
        }

        if (MaxConcurrentUpdates is < 1 or > 100_000)
        {
            errors["maxConcurrentUpdates"] = "From 1 to 100000.";
        }

        if (!(PerDeviceTimeoutMinutes >= 1.0 / 60 && PerDeviceTimeoutMinutes <= TimeSpan.FromDays(7).TotalMinutes))
        {
            errors["perDeviceTimeout"] = "From 1 second to 7 days.";
        }

        if (Retries is < 0 or > 10)
        {
            errors["retries"] = "From 0 to 10.";
        }

        if (MinimumExecuted is < 0 or > MaxMinimumExecuted)
        {
            errors["minimumExecuted"] = $"From 0 to {MaxMinimumExecuted} finished devices.";
        }
    }

    /// <summary>
    /// Said under the minimum when the target holds fewer devices: not an error (the API then has each phase wait for
    /// all of its devices), but not what the operator may think they asked for.
    /// </summary>
    public string? MinimumExecutedNote() => CompatibleDevices is { } compatible && MinimumExecuted > compatible
        ? $"More than the {compatible} devices the target holds: each gate will wait for every device of its phase to finish."
        : null;

    private static IReadOnlyList<string>? NullIfEmpty(IReadOnlyList<string> values) => values.Count == 0 ? null : values;
}
