using System.ComponentModel.DataAnnotations;
using Fleet.DeviceSim.Faults;
using Fleet.DeviceSim.Models;
using Microsoft.Extensions.Options;

namespace Fleet.DeviceSim;

/// <summary>The <c>Fleet</c> section: how many devices, how they enroll, how often they report.</summary>
public sealed class SimulatorOptions : IValidatableObject
{
    public const string Section = "Fleet";

    [Range(1, 100_000)]
    public int Devices { get; set; } = 25;

    [Required(ErrorMessage = "Fleet:EnrollmentToken is not set; run through Fleet.AppHost or set Fleet__EnrollmentToken.")]
    public string EnrollmentToken { get; set; } = "";

    [ValidateObjectMembers]
    public SimulatorTuning Simulator { get; set; } = new();

    /// <summary>The <c>Fleet:Mqtt</c> section: the broker MQTT devices connect to.</summary>
    [ValidateObjectMembers]
    public MqttBrokerSettings Mqtt { get; set; } = new();

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Simulator.Protocol is DeviceProtocol.Mqtt or DeviceProtocol.Mixed && string.IsNullOrWhiteSpace(Mqtt.Host))
        {
            yield return new ValidationResult(
                $"--protocol {Simulator.Protocol} needs the MQTT broker: set Fleet:Mqtt:Host and Fleet:Mqtt:Port (Fleet__Mqtt__Host, Fleet__Mqtt__Port)",
                [$"{nameof(Mqtt)}.{nameof(MqttBrokerSettings.Host)}"]);
        }
    }
}

/// <summary>The <c>Fleet:Mqtt</c> section.</summary>
public sealed class MqttBrokerSettings
{
    public string? Host { get; set; }

    [Range(1, 65535)]
    public int Port { get; set; } = 1883;

    /// <summary>The MQTT keep-alive; the broker sends a device's last will after 1.5 times this without a word from it.</summary>
    [Range(5, 3600)]
    public int KeepAliveSeconds { get; set; } = 60;

    /// <summary>How long a device the broker refused as not authorized (wrong key, suspended, retired) waits before trying again.</summary>
    [Range(1, 86400)]
    public int NotAuthorizedBackoffSeconds { get; set; } = 300;
}

/// <summary>The <c>Fleet:Simulator</c> section.</summary>
public sealed class SimulatorTuning
{
    [Range(1, 3600)]
    public int HeartbeatSeconds { get; set; } = 10;

    /// <summary>How often a device takes a reading and sends what it has not delivered yet.</summary>
    [Range(1, 3600)]
    public int TelemetrySeconds { get; set; } = 10;

    /// <summary>Each interval is stretched or shortened at random by up to this share, so devices drift apart.</summary>
    [Range(0, 50)]
    public int JitterPercent { get; set; } = 10;

    /// <summary>Which mix of device models: home, office or factory (see <see cref="FleetPreset"/>).</summary>
    [Required]
    [AllowedValues("home", "office", "factory")]
    public string Preset { get; set; } = "office";

    /// <summary>Serials are <c>{prefix}-{n:D6}</c>; the same prefix, seed, preset and count give the same fleet every run.</summary>
    [Required]
    [RegularExpression("^[A-Za-z0-9][A-Za-z0-9-]{0,40}$")]
    public string SerialPrefix { get; set; } = "SIM";

    /// <summary>Seed for device attributes and readings, so a fleet looks the same from run to run.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>
    /// Where device identities (serial → id and key) are kept between runs. Empty: <c>.state/devices-{hash of the
    /// enrollment token}.json</c> under the content root, so each fleet (each AppHost state folder) keeps its own.
    /// </summary>
    public string? StateFile { get; set; }

    /// <summary>Requests in flight at once, registrations, heartbeats and telemetry together.</summary>
    [Range(1, 256)]
    public int MaxConcurrentRequests { get; set; } = 16;

    [Range(1, 3600)]
    public int SummarySeconds { get; set; } = 30;

    /// <summary>How devices talk to the platform: http (HTTP reports, a WebSocket channel), mqtt (all on the broker) or mixed.</summary>
    [Required]
    [AllowedValues(DeviceProtocol.Http, DeviceProtocol.Mqtt, DeviceProtocol.Mixed)]
    public string Protocol { get; set; } = DeviceProtocol.Http;

    /// <summary>With protocol mixed, the share of devices on MQTT (which ones follows from the seed and the device index).</summary>
    [Range(0, 100)]
    public int MqttPercent { get; set; } = 50;

    /// <summary>False: devices open no channel, so they take no updates or commands (telemetry and heartbeats only).</summary>
    public bool Channels { get; set; } = true;

    /// <summary>The longest wait between two attempts to reconnect a device's channel (exponential backoff with jitter up to it).</summary>
    [Range(1, 3600)]
    public int ChannelMaxBackoffSeconds { get; set; } = 30;

    /// <summary>How long a reboot (an update's, or a <c>reboot</c> command's) keeps a device offline.</summary>
    [Range(0.0, 3600.0)]
    public double RebootSeconds { get; set; } = 5;

    /// <summary>Firmware downloads in flight at once in this process; the other devices wait their turn.</summary>
    [Range(1, 1024)]
    public int MaxConcurrentDownloads { get; set; } = 8;

    /// <summary>The bearer token <c>/faults</c> demands (the AppHost's <c>simulator-token</c>); unset, nobody may use <c>/faults</c>.</summary>
    public string? FaultsToken { get; set; }

    /// <summary>The faults in force at start; <c>PUT /faults</c> changes them while running.</summary>
    [ValidateObjectMembers]
    public FaultSettings Faults { get; set; } = new();
}
