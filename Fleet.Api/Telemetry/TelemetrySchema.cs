namespace Fleet.Api.Telemetry;

/// <summary>Names of the telemetry tables (created by the AddTelemetry migration, written with COPY).</summary>
public static class TelemetrySchema
{
    public const string Table = "telemetry";
    public const string SequenceTable = "telemetry_sequences";

    /// <summary>Partition names carry their day, so retention can read it back: <c>telemetry_p20261123</c>.</summary>
    public static string PartitionName(DateOnly day) => $"telemetry_p{day:yyyyMMdd}";
}
