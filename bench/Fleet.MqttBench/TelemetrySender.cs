namespace Fleet.MqttBench;

/// <summary>One transport's way of sending a device's reading and waiting for its acknowledgement.</summary>
internal interface ITelemetrySender
{
    string Transport { get; }

    /// <summary>Sends reading <paramref name="seq"/> of device <paramref name="device"/>; null once acknowledged, else what went wrong.</summary>
    Task<string?> SendAsync(int device, long seq, CancellationToken cancellationToken);
}
