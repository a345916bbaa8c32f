namespace Fleet.DeviceSim;

/// <summary>Which devices speak MQTT: none (http), all (mqtt), or with mixed a share chosen by seed and device index.</summary>
public static class DeviceProtocol
{
    public const string Http = "http";
    public const string Mqtt = "mqtt";
    public const string Mixed = "mixed";

    private const int MqttSalt = 101;

    /// <summary>
    /// Whether device <paramref name="index"/> is an MQTT device: the same on every run with the same seed, and drawn
    /// rather than every other index, so the share does not line up with what else follows from the index (green devices).
    /// </summary>
    public static bool UsesMqtt(SimulatorTuning tuning, int index) => tuning.Protocol switch
    {
        Mqtt => true,
        Mixed => DeviceSeeds.Draw(tuning.Seed, index, MqttSalt) * 100 < tuning.MqttPercent,
        _ => false,
    };
}
