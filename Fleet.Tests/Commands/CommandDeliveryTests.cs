using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using Fleet.Api.Commands;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace Fleet.Tests.Commands;

/// <summary>Commands from the operator API to real WebSocket devices and back, on real PostgreSQL and Redis.</summary>
public sealed class CommandDeliveryTests(CommandsApiFixture fixture) : IClassFixture<CommandsApiFixture>
{
    private static CancellationToken Cancellation => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_connected_device_gets_the_command_and_its_reports_are_stored_with_every_transition()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();

        var parameters = JsonSerializer.SerializeToElement(new { seconds = 30 });
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.SetInterval, parameters, device.Id, TtlSeconds: 600));
        (command.Devices, command.Name, command.CreatedBy, command.DeviceId).ShouldBe((1, "set_interval", "break-glass", (Guid?)device.Id));

        var received = await device.ReceiveCommandAsync();
        (received.Type, received.CommandId, received.Name).ShouldBe(("command", command.Id, "set_interval"));
        received.Parameters!["seconds"].GetInt32().ShouldBe(30);
        received.ExpiresAt.ShouldBe(command.ExpiresAt);
        (await fixture.EventuallyStateAsync(command.Id, device.Id, "sent")).Attempts.ShouldBe(1);

        (await device.ReportAsync(command.Id, "accepted")).ShouldBe(new CommandReportAck("command-ack", command.Id, "accepted", "recorded"));
        (await device.ReportAsync(command.Id, "completed")).ShouldBe(new CommandReportAck("command-ack", command.Id, "completed", "recorded"));
        (await device.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("unchanged");
        (await device.ReportAsync(command.Id, "accepted")).Outcome.ShouldBe("illegal");

        var detail = (await fixture.Operator.GetFromJsonAsync<CommandResponse>(CommandsHttp.Command(command.Id), Cancellation))!;
        (detail.Devices, detail.ByState["completed"], detail.ByState["queued"]).ShouldBe((1, 1, 0));
        (await fixture.EventsAsync(command.Id, device.Id)).ShouldBe(["none->queued", "queued->sent", "sent->accepted", "accepted->completed"]);
        var mine = (await fixture.Operator.GetFromJsonAsync<PagedList<DeviceCommandResponse>>(CommandsHttp.OfDevice(device.Id), Cancellation))!;
        mine.Items.Single().ShouldSatisfyAllConditions(
            c => c.CommandId.ShouldBe(command.Id),
            c => c.State.ShouldBe("completed"),
            c => c.Parameters!["seconds"].GetInt32().ShouldBe(30));
        var audit = (await fixture.Operator.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={command.Id}", Cancellation))!;
        audit.Items.Single().ShouldSatisfyAllConditions(e => e.Actor.ShouldBe("break-glass"), e => e.Action.ShouldBe("send"), e => e.TargetType.ShouldBe("command"));
    }

    [Fact]
    public async Task A_command_reaches_the_device_through_the_replica_that_holds_its_socket_and_each_change_is_published()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(fixture.Api.RedisConnectionString);
        var published = Channel.CreateUnbounded<CommandStatusMessage>();
        var subscription = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(FleetChannels.Commands));
        subscription.OnMessage(message => published.Writer.TryWrite(JsonSerializer.Deserialize<CommandStatusMessage>(message.Message.ToString(), JsonSerializerOptions.Web)!));
        using var otherReplica = fixture.Api.WithWebHostBuilder(_ => { });
        var registered = await CommandTestDevice.RegisterAsync(fixture.Api);
        using var device = new CommandTestDevice(registered.Id, registered.Key, otherReplica);
        await device.ConnectAsync();

        // An answered report means the other replica serves the socket (route stored, outstanding work sent).
        (await device.ReportAsync(Guid.NewGuid(), "accepted")).Outcome.ShouldBe("not-found");
        otherReplica.Services.GetRequiredService<Fleet.Api.Rollouts.DeviceChannelHub>().Connected.ShouldBe(1);
        fixture.Api.Services.GetRequiredService<Fleet.Api.Rollouts.DeviceChannelHub>().Connected.ShouldBe(0);

        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: device.Id));

        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        await fixture.EventuallyStateAsync(command.Id, device.Id, "sent");
        (await device.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("recorded");
        var changes = new List<string>();
        while (changes.Count < 2)
        {
            var message = await published.Reader.ReadAsync(Cancellation).AsTask().WaitAsync(TimeSpan.FromSeconds(10), Cancellation);
            if (message.CommandId == command.Id)
            {
                message.DeviceId.ShouldBe(device.Id);
                changes.Add($"{message.From}->{message.To}");
            }
        }

        changes.ShouldBe(["queued->sent", "sent->completed"]);
    }

    [Fact]
    public async Task The_commands_meter_counts_sends_and_reports()
    {
        var meter = fixture.Api.Services.GetRequiredService<CommandMetrics>().Meter;
        var counted = new System.Collections.Concurrent.ConcurrentBag<string>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter == meter)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            counted.Add($"{instrument.Name} {string.Join(",", tags.ToArray().Select(t => $"{t.Key}={t.Value}"))} {value}"));
        listener.Start();
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: device.Id));
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);

        (await device.ReportAsync(command.Id, "accepted")).Outcome.ShouldBe("recorded");

        counted.ShouldContain("fleet.commands.created name=identify,devices=one 1");
        counted.ShouldContain("fleet.commands.sent  1");
        counted.ShouldContain("fleet.commands.reports state=accepted,outcome=recorded 1");
    }

    [Fact]
    public async Task A_rejection_keeps_its_reason_and_bad_reports_get_an_answer_without_closing_the_channel()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, DeviceId: device.Id));
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);

        (await device.ReportAsync(command.Id, "done")).ShouldSatisfyAllConditions(a => a.Type.ShouldBe("error"), a => a.Outcome.ShouldBe("unreadable"));
        (await device.ReportAsync(Guid.NewGuid(), "accepted")).Outcome.ShouldBe("not-found");
        (await device.SendAndReceiveAckAsync(new { type = "command-status", commandId = "not-a-guid" })).Type.ShouldBe("error");
        (await device.ReportAsync(command.Id, "rejected", "battery too low")).Outcome.ShouldBe("recorded");

        var delivery = await fixture.DeliveryAsync(command.Id, device.Id);
        (delivery.State, delivery.Reason).ShouldBe(("rejected", "battery too low"));
    }

    [Fact]
    public async Task An_offline_device_gets_its_command_on_reconnect()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        await device.ConnectAsync();
        await device.DisconnectAsync();

        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: device.Id));
        (await fixture.DeliveryAsync(command.Id, device.Id)).ShouldSatisfyAllConditions(d => d.State.ShouldBe("queued"), d => d.Attempts.ShouldBe(0));

        await device.ConnectAsync();
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        await fixture.EventuallyStateAsync(command.Id, device.Id, "sent");
        (await device.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("recorded");
    }

    [Fact]
    public async Task An_expired_command_is_marked_expired_and_not_delivered_on_reconnect()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        var expiring = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, DeviceId: device.Id, TtlSeconds: 1));
        var expired = await fixture.EventuallyStateAsync(expiring.Id, device.Id, "expired");
        expired.Reason.ShouldBe("time-to-live passed");
        (await fixture.EventsAsync(expiring.Id, device.Id)).ShouldBe(["none->queued", "queued->expired"]);

        var later = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: device.Id));
        await device.ConnectAsync();

        // The expired command is older, so it would come first if it were delivered at all.
        (await device.ReceiveCommandAsync()).CommandId.ShouldBe(later.Id);
        (await fixture.DeliveryAsync(expiring.Id, device.Id)).ShouldSatisfyAllConditions(d => d.State.ShouldBe("expired"), d => d.Attempts.ShouldBe(0));
    }

    [Fact]
    public async Task A_segment_command_reaches_exactly_the_active_devices_of_the_segment()
    {
        var tag = $"seg{Guid.NewGuid():N}"[..20];
        using var inside = await CommandTestDevice.RegisterAsync(fixture.Api, [tag]);
        using var outside = await CommandTestDevice.RegisterAsync(fixture.Api);
        await inside.ConnectAsync();
        await outside.ConnectAsync();
        var region = $"r-{Guid.NewGuid():N}"[..20];
        var meters = await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 4, region, Cancellation, tags: [tag]);
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 2, region, Cancellation, type: "gateway", tags: [tag]);
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 3, region, Cancellation, tags: ["other"]);
        var suspended = await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 1, region, Cancellation, tags: [tag]);
        await Sql.ExecuteAsync(fixture.Api.DatabaseConnectionString, "UPDATE devices SET lifecycle = 'Suspended' WHERE id = $1", Cancellation, suspended[0]);

        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, Segment: new CommandSegment(Types: ["meter"], Tags: [tag])));

        command.Devices.ShouldBe(5);
        var devices = (await fixture.Operator.GetFromJsonAsync<PagedList<CommandDeviceResponse>>($"{CommandsHttp.Devices(command.Id)}?pageSize=500", Cancellation))!;
        devices.Items.Select(d => d.DeviceId).ShouldBe([.. meters, inside.Id], ignoreOrder: true);
        (await inside.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        await fixture.EventuallyStateAsync(command.Id, inside.Id, "sent");

        // The device outside the segment gets the next command addressed to it, and nothing before it.
        var direct = await fixture.SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: outside.Id));
        (await outside.ReceiveCommandAsync()).CommandId.ShouldBe(direct.Id);

        var listed = (await fixture.Operator.GetFromJsonAsync<PagedList<CommandResponse>>($"{CommandsHttp.Route}?deviceId={inside.Id}", Cancellation))!;
        listed.Items.Select(c => c.Id).ShouldBe([command.Id]);
        (await fixture.Operator.GetFromJsonAsync<PagedList<CommandResponse>>($"{CommandsHttp.Route}?name=identify&state=sent", Cancellation))!
            .Items.Select(c => c.Id).ShouldContain(command.Id);
    }

    [Fact]
    public async Task Cancelling_fails_the_outstanding_deliveries_keeps_the_finished_ones_and_is_audited()
    {
        using var online = await CommandTestDevice.RegisterAsync(fixture.Api, ["cancel-me"]);
        using var offline = await CommandTestDevice.RegisterAsync(fixture.Api, ["cancel-me"]);
        using var done = await CommandTestDevice.RegisterAsync(fixture.Api, ["cancel-me"]);
        await online.ConnectAsync();
        await done.ConnectAsync();
        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, Segment: new CommandSegment(Tags: ["cancel-me"])));
        (await done.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        (await done.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("recorded");
        (await online.ReceiveCommandAsync()).CommandId.ShouldBe(command.Id);
        await fixture.EventuallyStateAsync(command.Id, online.Id, "sent");

        using var response = await fixture.Operator.PostAsJsonAsync($"{CommandsHttp.Command(command.Id)}/cancel", new CancelCommandRequest("wrong segment"), Cancellation);

        response.StatusCode.ShouldBe(HttpStatusCode.OK);
        var cancelled = (await response.Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;
        (cancelled.ByState["failed"], cancelled.ByState["completed"], cancelled.ByState["queued"], cancelled.ByState["sent"]).ShouldBe((2, 1, 0, 0));
        (await fixture.DeliveryAsync(command.Id, offline.Id)).Reason.ShouldBe("cancelled by break-glass: wrong segment");
        (await fixture.EventsAsync(command.Id, online.Id)).ShouldBe(["none->queued", "queued->sent", "sent->failed"]);
        (await online.ReportAsync(command.Id, "completed")).Outcome.ShouldBe("illegal");
        var audit = (await fixture.Operator.GetFromJsonAsync<PagedList<AuditEntryResponse>>($"{RolloutHttp.AuditRoute}?targetId={command.Id}&action=cancel", Cancellation))!;
        audit.Items.Single().Actor.ShouldBe("break-glass");
        using var missing = await fixture.Operator.PostAsJsonAsync($"{CommandsHttp.Command(Guid.NewGuid())}/cancel", new CancelCommandRequest(), Cancellation);
        missing.StatusCode.ShouldBe(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_segment_of_ten_thousand_devices_is_queued_in_one_go()
    {
        var region = $"big-{Guid.NewGuid():N}"[..20];
        await RolloutTestFleet.InsertDevicesAsync(fixture.Api.DatabaseConnectionString, 10_000, region, Cancellation);

        var command = await fixture.SendAsync(new SendCommandRequest(CommandNames.Reboot, Segment: new CommandSegment(Regions: [region])));

        command.Devices.ShouldBe(10_000);
        var detail = (await fixture.Operator.GetFromJsonAsync<CommandResponse>(CommandsHttp.Command(command.Id), Cancellation))!;
        detail.ByState["queued"].ShouldBe(10_000);
        (await Sql.ScalarAsync<long>(fixture.Api.DatabaseConnectionString, "SELECT count(*) FROM command_transitions WHERE command_id = $1", Cancellation, command.Id))
            .ShouldBe(10_000);
    }

    [Fact]
    public async Task Heartbeat_config_shows_in_the_device_detail_and_a_bad_one_is_a_400_naming_the_field()
    {
        using var device = await CommandTestDevice.RegisterAsync(fixture.Api);
        using var http = fixture.Api.CreateClient();
        var config = new Dictionary<string, string> { ["mode"] = "eco", ["interval"] = "30" };
        using (var accepted = await http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, device.Key, JsonContent.Create(new HeartbeatRequest(80, -60, "1.0.0", "A", 10, Config: config)), Cancellation))
        {
            accepted.StatusCode.ShouldBe(HttpStatusCode.Accepted);
        }

        var detail = (await fixture.Operator.GetFromJsonAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{device.Id}", Cancellation))!;
        detail.Config.ShouldBe(config, ignoreOrder: true);

        var tooMany = Enumerable.Range(0, 33).ToDictionary(i => $"k{i}", i => "v");
        await ExpectBadHeartbeatAsync(http, device.Key, tooMany, "config");
        await ExpectBadHeartbeatAsync(http, device.Key, new Dictionary<string, string> { ["mode"] = new string('x', 257) }, "config.mode");
        await ExpectBadHeartbeatAsync(http, device.Key, new Dictionary<string, string> { [new string('k', 65)] = "v" }, "config");
        (await fixture.Operator.GetFromJsonAsync<DeviceDetail>($"{FleetHttp.DevicesRoute}/{device.Id}", Cancellation))!.Config.ShouldBe(config, ignoreOrder: true);
    }

    private static async Task ExpectBadHeartbeatAsync(HttpClient http, string key, Dictionary<string, string> config, string field)
    {
        using var response = await http.PostAsDeviceAsync(FleetHttp.HeartbeatRoute, key, JsonContent.Create(new HeartbeatRequest(80, -60, "1.0.0", "A", 10, Config: config)), Cancellation);
        response.StatusCode.ShouldBe(HttpStatusCode.BadRequest);
        (await response.Content.ReadFromJsonAsync<Microsoft.AspNetCore.Mvc.ValidationProblemDetails>(Cancellation))!.Errors.Keys.ShouldContain(field);
    }
}
