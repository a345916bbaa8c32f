using System.Diagnostics.Metrics;

namespace Fleet.Api.Commands;

/// <summary>The <c>Fleet.Commands</c> meter: commands created, sends, device reports, resends, expiries and unacknowledged failures.</summary>
public sealed class CommandMetrics
{
    public const string MeterName = "Fleet.Commands";

    private readonly Counter<long> _created;
    private readonly Counter<long> _sent;
    private readonly Counter<long> _reports;
    private readonly Counter<long> _resends;
    private readonly Counter<long> _expired;
    private readonly Counter<long> _unacknowledged;

    public CommandMetrics(IMeterFactory meterFactory)
    {
        var meter = Meter = meterFactory.Create(MeterName);
        _created = meter.CreateCounter<long>("fleet.commands.created", "{command}", "Commands operators sent, by name.");
        _sent = meter.CreateCounter<long>("fleet.commands.sent", "{delivery}", "Deliveries that reached a device's socket for the first time (queued → sent).");
        _reports = meter.CreateCounter<long>("fleet.commands.reports", "{report}", "Device reports, by reported state and outcome (recorded, unchanged, illegal, not-found).");
        _resends = meter.CreateCounter<long>("fleet.commands.resends", "{delivery}", "Sent deliveries resent after no report within the acknowledgement timeout.");
        _expired = meter.CreateCounter<long>("fleet.commands.expired", "{delivery}", "Deliveries whose time-to-live passed while queued or sent.");
        _unacknowledged = meter.CreateCounter<long>("fleet.commands.unacknowledged", "{delivery}", "Deliveries failed after the last resend went unanswered.");
    }

    /// <summary>This process's meter, so a listener can tell it from other APIs in the same process (tests).</summary>
    public Meter Meter { get; }

    public void Created(string name, int devices) =>
        _created.Add(1, new KeyValuePair<string, object?>("name", name), new KeyValuePair<string, object?>("devices", devices == 1 ? "one" : "many"));

    public void Sent() => _sent.Add(1);

    public void Reported(string state, string outcome) =>
        _reports.Add(1, new KeyValuePair<string, object?>("state", state), new KeyValuePair<string, object?>("outcome", outcome));

    public void Resent(int deliveries) => _resends.Add(deliveries);

    public void Expired(int deliveries) => _expired.Add(deliveries);

    public void Unacknowledged(int deliveries) => _unacknowledged.Add(deliveries);
}
