using Fleet.Contracts;

namespace Fleet.Api.Rollouts;

public enum GateVerdict
{
    /// <summary>The phase may advance.</summary>
    Pass,

    /// <summary>Nothing wrong yet, but soak or success are not there yet.</summary>
    Wait,

    /// <summary>Too many failures, or the updated devices are significantly less healthy: pause (and maybe roll back).</summary>
    Breach,
}

/// <summary>
/// Devices in one group and how many of them show each health signal: offline now, rebooted within the gate's
/// window, reported the error metric above zero within the window.
/// </summary>
public readonly record struct HealthSample(int Devices, int Offline, int Rebooted = 0, int Erroring = 0)
{
    public double OfflineRatio => Devices == 0 ? 0 : (double)Offline / Devices;

    public static HealthSample operator +(HealthSample a, HealthSample b) =>
        new(a.Devices + b.Devices, a.Offline + b.Offline, a.Rebooted + b.Rebooted, a.Erroring + b.Erroring);

    public int Affected(HealthSignal signal) => signal switch
    {
        HealthSignal.Offline => Offline,
        HealthSignal.Rebooted => Rebooted,
        HealthSignal.Erroring => Erroring,
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
    };
}

/// <summary>What the gate compares between updated and not-yet-updated devices.</summary>
public enum HealthSignal
{
    Offline,
    Rebooted,
    Erroring,
}

/// <summary>
/// The counts a gate decides on. <c>Cohort</c>: devices enrolled so far (every state but waiting); <c>Failed</c>
/// includes rolled back. <c>Updated</c>: devices healthy on the new release; <c>NotUpdated</c>: target devices still waiting.
/// <c>NotYetEnrolled</c>: devices the phase holds that have not started yet (held back by maxConcurrentUpdates).
/// <c>MinimumExecuted</c>: the plan's finished devices (healthy or failed) below which the gate neither passes nor breaches.
/// </summary>
public sealed record GateInput(
    RolloutPhase Phase,
    TimeSpan SoakElapsed,
    int Cohort,
    int Healthy,
    int Failed,
    int InFlight,
    HealthSample Updated,
    HealthSample NotUpdated,
    int NotYetEnrolled = 0,
    int MinimumExecuted = 0)
{
    /// <summary>Devices whose update has ended, healthy or failed (rolled back included).</summary>
    public int Finished => Healthy + Failed;

    /// <summary>All the devices the phase holds so far: enrolled, and not started yet.</summary>
    public int PhaseDevices => Cohort + NotYetEnrolled;

    /// <summary>The plan's minimum, or every device the phase holds when it holds fewer (a minimum it can never reach would stall the rollout).</summary>
    public int RequiredFinished => Math.Min(MinimumExecuted, PhaseDevices);
}

/// <summary>A gate's verdict with every number that led to it; <c>Withheld</c>: the pass or breach turned into a wait for too few finished devices.</summary>
public sealed record GateResult(
    GateVerdict Verdict,
    IReadOnlyList<string> Reasons,
    GateInput Input,
    double SuccessRatio,
    double FailureRatio,
    string Test,
    double? Statistic,
    double? PValue,
    double Alpha,
    bool UpdatedSignificantlyLessHealthy,
    IReadOnlyList<GateHealthComparison> Health,
    GateVerdict? Withheld = null);

/// <summary>
/// Phase gates as a pure function. A phase passes after its minimum soak when the success ratio reaches the
/// threshold, the failure ratio stays within the maximum, and the updated devices are not significantly less
/// healthy than the not-yet-updated devices of the same target on any of three signals: offline now, rebooted
/// since they were updated (a crash or watchdog reset), reporting the error metric since they were updated.
/// "Significantly" is a one-sided test per signal: the two-proportion z-test (pooled variance), or Fisher's exact
/// test when an expected cell count is below 5, where the normal approximation is poor. The three tests share a
/// family-wise α of 0.05 by Bonferroni's correction, so each is run at α = 0.05 / 3 and a healthy release still
/// breaches by chance at most 5 % of the time. Failures breach at once, without waiting for the soak. Neither a pass
/// nor a breach is given on fewer finished devices than the plan's minimum executed: the gate waits, and says which
/// verdict it held back.
/// </summary>
public static class RolloutGate
{
    /// <summary>The chance a healthy release breaches on the health comparison, over all signals together.</summary>
    public const double FamilyAlpha = 0.05;

    /// <summary>Each signal's α (Bonferroni).</summary>
    public const double Alpha = FamilyAlpha / 3;
    public const string ZTest = "two-proportion z-test (one-sided)";
    public const string FisherTest = "Fisher's exact test (one-sided)";
    public const string NoTest = "none (a group is empty)";

    public static GateResult Evaluate(GateInput input)
    {
        var reasons = new List<string>();
        var successRatio = input.Cohort == 0 ? 1 : (double)input.Healthy / input.Cohort;
        var failureRatio = input.Cohort == 0 ? 0 : (double)input.Failed / input.Cohort;
        var signals = Enum.GetValues<HealthSignal>();
        var health = signals.Select(signal => Compare(signal, input.Updated, input.NotUpdated)).ToList();
        var offline = health[(int)HealthSignal.Offline];

        var breach = false;
        if (failureRatio > input.Phase.MaxFailureRatio)
        {
            breach = true;
            reasons.Add($"failure ratio {failureRatio:0.####} is above the maximum {input.Phase.MaxFailureRatio:0.####}");
        }

        foreach (var (signal, worse) in signals.Zip(health).Where(pair => pair.Second.Significant))
        {
            breach = true;
            reasons.Add($"updated devices are {Describe(signal)} more often ({Ratio(worse.UpdatedAffected, worse.UpdatedDevices):0.####} vs " +
                $"{Ratio(worse.NotUpdatedAffected, worse.NotUpdatedDevices):0.####}; {worse.Test}, p = {worse.PValue:0.####} < α = {Alpha:0.####})");
        }

        var waiting = false;
        if (input.SoakElapsed < input.Phase.MinimumSoak)
        {
            waiting = true;
            reasons.Add($"soaking: {DurationText.Words(input.SoakElapsed)} of {DurationText.Words(input.Phase.MinimumSoak)}");
        }

        if (input.NotYetEnrolled > 0)
        {
            waiting = true;
            reasons.Add($"{input.NotYetEnrolled} devices of the phase have not started yet");
        }

        if (successRatio < input.Phase.SuccessThreshold)
        {
            waiting = true;
            reasons.Add($"success ratio {successRatio:0.####} is below the threshold {input.Phase.SuccessThreshold:0.####}");
        }

        var verdict = breach ? GateVerdict.Breach : waiting ? GateVerdict.Wait : GateVerdict.Pass;
        GateVerdict? withheld = null;
        if (input.Finished < input.RequiredFinished)
        {
            withheld = verdict == GateVerdict.Wait ? null : verdict;
            reasons.Insert(0, TooFewFinished(input, withheld));
            verdict = GateVerdict.Wait;
        }

        if (verdict == GateVerdict.Pass)
        {
            reasons.Add("soak elapsed, success and failure ratios within the plan, updated devices not significantly less healthy");
        }

        return new GateResult(verdict, reasons, input, successRatio, failureRatio, offline.Test, offline.Statistic, offline.PValue, Alpha,
            health.Any(c => c.Significant), health, withheld);
    }

    /// <summary>"waiting: 3 of 10 finished devices", with what the wait holds back and why the number is what it is.</summary>
    private static string TooFewFinished(GateInput input, GateVerdict? withheld)
    {
        var text = $"waiting: {input.Finished} of {input.RequiredFinished} finished devices";
        if (input.RequiredFinished < input.MinimumExecuted)
        {
            text += $" (all the phase holds; the plan asks for {input.MinimumExecuted})";
        }

        return withheld switch
        {
            GateVerdict.Breach => text + "; a breach is held back until then",
            GateVerdict.Pass => text + "; a pass is held back until then",
            _ => text,
        };
    }

    /// <summary>One signal's comparison, significant when its p-value is below the per-signal α.</summary>
    public static GateHealthComparison Compare(HealthSignal signal, HealthSample updated, HealthSample notUpdated)
    {
        var (x1, x2) = (updated.Affected(signal), notUpdated.Affected(signal));
        var (test, statistic, pValue) = CompareProportions(x1, updated.Devices, x2, notUpdated.Devices);
        return new GateHealthComparison(signal.ToString().ToLowerInvariant(), updated.Devices, x1, notUpdated.Devices, x2,
            test, statistic, pValue, Alpha, pValue < Alpha);
    }

    private static string Describe(HealthSignal signal) => signal switch
    {
        HealthSignal.Offline => "offline",
        HealthSignal.Rebooted => "rebooting",
        HealthSignal.Erroring => "reporting errors",
        _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, null),
    };

    private static double Ratio(int affected, int devices) => devices == 0 ? 0 : (double)affected / devices;

    /// <summary>H1: the first group's proportion (x1 of n1) is greater than the second group's (x2 of n2).</summary>
    public static (string Test, double? Statistic, double? PValue) CompareProportions(int x1, int n1, int x2, int n2)
    {
        if (n1 == 0 || n2 == 0)
        {
            return (NoTest, null, null);
        }

        var total = n1 + n2;
        var affected = x1 + x2;
        var smallestExpected = Math.Min(Math.Min(n1, n2) * (double)affected / total, Math.Min(n1, n2) * (double)(total - affected) / total);
        if (smallestExpected < 5)
        {
            return (FisherTest, null, Statistics.FisherExactGreater(x1, n1, x2, n2));
        }

        var z = Statistics.TwoProportionZ(x1, n1, x2, n2);
        return (ZTest, z, 1 - Statistics.NormalCdf(z));
    }
}

/// <summary>The few statistics the gates need.</summary>
public static class Statistics
{
    /// <summary>z of (p1 − p2) with the pooled standard error; 0 when both groups are all-offline or all-online.</summary>
    public static double TwoProportionZ(int x1, int n1, int x2, int n2)
    {
        var pooled = (double)(x1 + x2) / (n1 + n2);
        var standardError = Math.Sqrt(pooled * (1 - pooled) * ((1.0 / n1) + (1.0 / n2)));
        return standardError == 0 ? 0 : (((double)x1 / n1) - ((double)x2 / n2)) / standardError;
    }

    /// <summary>Standard normal CDF, via erfc.</summary>
    public static double NormalCdf(double z) => 0.5 * Erfc(-z / Math.Sqrt(2));

    /// <summary>
    /// One-sided Fisher's exact test: P(X ≥ x1) where X, the affected count of the first group, is hypergeometric
    /// given both groups' sizes and the total affected count.
    /// </summary>
    public static double FisherExactGreater(int x1, int n1, int x2, int n2)
    {
        var total = n1 + n2;
        var offline = x1 + x2;
        var logFactorial = new double[total + 1];
        for (var i = 2; i <= total; i++)
        {
            logFactorial[i] = logFactorial[i - 1] + Math.Log(i);
        }

        double LogChoose(int n, int k) => k < 0 || k > n ? double.NegativeInfinity : logFactorial[n] - logFactorial[k] - logFactorial[n - k];

        var highest = Math.Min(offline, n1);
        var p = 0.0;
        for (var k = x1; k <= highest; k++)
        {
            p += Math.Exp(LogChoose(offline, k) + LogChoose(total - offline, n1 - k) - LogChoose(total, n1));
        }

        return Math.Min(1, p);
    }

    private static readonly double[] ErfcCoefficients =
        [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277];

    // Numerical Recipes' erfc (Chebyshev fit), fractional error below 1.2e-7 everywhere.
    private static double Erfc(double x)
    {
        var z = Math.Abs(x);
        var t = 1 / (1 + (0.5 * z));
        var polynomial = 0.0;
        for (var i = ErfcCoefficients.Length - 1; i >= 0; i--)
        {
            polynomial = ErfcCoefficients[i] + (t * polynomial);
        }

        var r = t * Math.Exp((-z * z) + polynomial);
        return x >= 0 ? r : 2 - r;
    }
}
