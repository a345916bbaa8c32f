using System.ComponentModel.DataAnnotations;

namespace Fleet.Api.Alerts;

/// <summary>The <c>Fleet:Alerts</c> section.</summary>
public sealed class AlertOptions
{
    public const string Section = "Fleet:Alerts";

    /// <summary>How often the leader looks at devices whose data changed.</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "00:10:00")]
    public TimeSpan EvaluationInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The most devices one evaluation takes; the rest wait for the next tick.</summary>
    [Range(1, 100_000)]
    public int MaxDevicesPerEvaluation { get; set; } = 5_000;
}
