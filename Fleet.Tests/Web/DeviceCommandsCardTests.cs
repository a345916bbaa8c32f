using System.Net.Http.Json;
using System.Text.Json;
using Bunit;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Fleet.Web.Components.Shared;
using Fleet.Web.Services;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;
using StackExchange.Redis;

namespace Fleet.Tests.Web;

/// <summary>The device page's commands card and its send dialog against the real API (the device has no channel, so commands stay queued).</summary>
public sealed class DeviceCommandsCardTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly ApiFixture _fixture;
    private readonly HttpClient _http;
    private readonly ConnectionMultiplexer _redis;
    private readonly BunitContext _context;

    public DeviceCommandsCardTests(ApiFixture fixture, BackingServers servers)
    {
        _fixture = fixture;
        _http = fixture.Api.OperatorClient();
        _redis = ConnectionMultiplexer.Connect(servers.RedisConnectionString);
        _context = WebTestContext.Create(_http, _redis);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Commands_are_listed_newest_first_with_their_parameters_a_cancel_elsewhere_shows_live_and_one_here_is_confirmed_with_a_reason()
    {
        var deviceId = await RegisterAsync();
        var interval = await SendAsync(new SendCommandRequest(CommandNames.SetInterval, JsonSerializer.SerializeToElement(new { seconds = 30 }), deviceId));
        var identify = await SendAsync(new SendCommandRequest(CommandNames.Identify, DeviceId: deviceId));

        var card = _context.Render<DeviceCommandsCard>(parameters => parameters.Add(c => c.DeviceId, deviceId));

        card.WaitForAssertion(() => card.FindAll("[data-testid=command-row]").Count.ShouldBe(2), Wait);
        card.FindAll("[data-testid=command-row-name]").Select(cell => cell.TextContent).ShouldBe([CommandNames.Identify, CommandNames.SetInterval]);
        card.FindAll("[data-testid=command-row-parameters]")[1].TextContent.ShouldBe("seconds=30");
        card.FindAll("[data-testid=command-row-state]").Select(cell => cell.GetAttribute("data-state")).ShouldBe([CommandStates.Queued, CommandStates.Queued]);
        card.FindAll("[data-testid=command-row-cancel]").Count.ShouldBe(2);

        // Someone cancels the identify elsewhere; the API's message on the commands channel (handed to the feed as the
        // hosted subscription would) makes the card read the list again.
        using (var cancel = await _http.PostAsJsonAsync($"{CommandsHttp.Command(identify.Id)}/cancel", new CancelCommandRequest("wrong device"), Cancellation))
        {
            cancel.EnsureSuccessStatusCode();
        }

        _context.Services.GetRequiredService<CommandFeed>().Publish(
            new CommandStatusMessage(identify.Id, deviceId, CommandNames.Identify, CommandStates.Queued, CommandStates.Failed, "cancelled", DateTimeOffset.UtcNow));
        card.WaitForAssertion(() => card.FindAll("[data-testid=command-row-state]")[0].GetAttribute("data-state").ShouldBe(CommandStates.Failed), Wait);
        card.FindAll("[data-testid=command-row-reason]")[0].TextContent.ShouldContain("wrong device");
        card.FindAll("[data-testid=command-row-cancel]").Count.ShouldBe(1);

        // The operator cancels the other one from the card, with a reason.
        var dialogs = _context.Render<MudDialogProvider>();
        card.Find("[data-testid=command-row-cancel]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=reason-confirm]"), Wait);
        dialogs.Find("[data-testid=reason-input] textarea, textarea[data-testid=reason-input], [data-testid=reason-input] input").Input("not needed");
        dialogs.Find("[data-testid=reason-confirm]").Click();

        card.WaitForAssertion(() => card.FindAll("[data-testid=command-row-state]")[1].GetAttribute("data-state").ShouldBe(CommandStates.Failed), Wait);
        card.FindAll("[data-testid=command-row-cancel]").ShouldBeEmpty();
        (await ListAsync(deviceId)).Items.Single(c => c.CommandId == interval.Id).Reason.ShouldNotBeNull().ShouldContain("not needed");
    }

    [Fact]
    public async Task The_send_dialog_checks_the_interval_itself_then_shows_the_apis_range_under_the_field_and_sends()
    {
        var deviceId = await RegisterAsync();
        var card = _context.Render<DeviceCommandsCard>(parameters => parameters.Add(c => c.DeviceId, deviceId));
        card.WaitForAssertion(() => card.Find("[data-testid=commands-empty]"), Wait);
        var dialogs = _context.Render<MudDialogProvider>();

        card.Find("[data-testid=command-open]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=command-name-set_interval]"), Wait);
        dialogs.Find("[data-testid=command-name-set_interval]").Click();
        dialogs.Find("[data-testid=command-send]").Click();
        dialogs.WaitForAssertion(() => dialogs.Markup.ShouldContain("Give the reporting interval in whole seconds."), Wait);

        // 1 to 3,600 s is the API's configured range: the UI shows the API's own words under the field.
        Field(dialogs, "command-seconds").Input("99999");
        dialogs.Find("[data-testid=command-send]").Click();
        dialogs.WaitForAssertion(() => dialogs.Markup.ShouldContain("must be from 1 to 3600."), Wait);
        dialogs.Find("[data-testid=command-problem]").TextContent.ShouldContain("parameters.seconds");
        (await ListAsync(deviceId)).Total.ShouldBe(0);

        Field(dialogs, "command-seconds").Input("15");
        dialogs.Find("[data-testid=command-send]").Click();

        card.WaitForAssertion(() => card.Find("[data-testid=command-row-parameters]").TextContent.ShouldBe("seconds=15"), Wait);
        dialogs.FindAll("[data-testid=command-dialog]").ShouldBeEmpty();
        (await ListAsync(deviceId)).Items.Single().Name.ShouldBe(CommandNames.SetInterval);
    }

    [Fact]
    public async Task Settings_must_be_key_value_lines_and_are_sent_typed()
    {
        var deviceId = await RegisterAsync();
        var card = _context.Render<DeviceCommandsCard>(parameters => parameters.Add(c => c.DeviceId, deviceId));
        card.WaitForAssertion(() => card.Find("[data-testid=commands-empty]"), Wait);
        var dialogs = _context.Render<MudDialogProvider>();
        card.Find("[data-testid=command-open]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=command-name-set_config]"), Wait);
        dialogs.Find("[data-testid=command-name-set_config]").Click();

        Field(dialogs, "command-settings").Input("led on");
        dialogs.Find("[data-testid=command-send]").Click();
        dialogs.WaitForAssertion(() => dialogs.Markup.ShouldContain("\"led on\" is not key=value."), Wait);

        Field(dialogs, "command-settings").Input("led=true\nbrightness=0.5\nlabel=\"42\"");
        dialogs.Find("[data-testid=command-send]").Click();

        card.WaitForAssertion(() => card.Find("[data-testid=command-row-parameters]").TextContent.ShouldBe("brightness=0.5, label=\"42\", led=true"), Wait);
    }

    [Fact]
    public async Task A_refusal_from_the_api_is_a_message_in_the_dialog_not_a_crash()
    {
        var deviceId = await RegisterAsync();
        var card = _context.Render<DeviceCommandsCard>(parameters => parameters.Add(c => c.DeviceId, deviceId));
        card.WaitForAssertion(() => card.Find("[data-testid=commands-empty]"), Wait);
        // The page still shows the device active, but another operator has just suspended it.
        (await _http.PostAsync($"{FleetHttp.DevicesRoute}/{deviceId}/suspend", null, Cancellation)).EnsureSuccessStatusCode();
        var dialogs = _context.Render<MudDialogProvider>();

        card.Find("[data-testid=command-open]").Click();
        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=command-send]"), Wait);
        dialogs.Find("[data-testid=command-send]").Click();

        dialogs.WaitForAssertion(() => dialogs.Find("[data-testid=command-problem]").TextContent.ShouldContain("only active devices take commands"), Wait);
        dialogs.Find("[data-testid=command-dialog]");
        card.Find("[data-testid=commands-empty]");
    }

    [Fact]
    public void A_device_that_is_not_active_is_offered_no_send()
    {
        var card = _context.Render<DeviceCommandsCard>(parameters => parameters.Add(c => c.DeviceId, Guid.NewGuid()).Add(c => c.Lifecycle, "suspended"));

        card.Find("[data-testid=command-open]").HasAttribute("disabled").ShouldBeTrue();
        card.Find("[data-testid=commands-inactive]").TextContent.ShouldContain("Only active devices");
    }

    private static AngleSharp.Dom.IElement Field(IRenderedComponent<MudDialogProvider> dialogs, string testId) =>
        dialogs.Find($"[data-testid={testId}] input, input[data-testid={testId}], [data-testid={testId}] textarea, textarea[data-testid={testId}]");

    private async Task<Guid> RegisterAsync()
    {
        using var anonymous = _fixture.Api.CreateClient();
        return (await anonymous.RegisterDeviceAsync($"WEB-CMD-{Guid.NewGuid():N}"[..24], Cancellation)).DeviceId;
    }

    private async Task<CommandResponse> SendAsync(SendCommandRequest request)
    {
        using var response = await _http.PostAsJsonAsync(CommandsHttp.Route, request, Cancellation);
        return (await response.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<CommandResponse>(Cancellation))!;
    }

    private async Task<PagedList<DeviceCommandResponse>> ListAsync(Guid deviceId) =>
        (await _http.GetFromJsonAsync<PagedList<DeviceCommandResponse>>(CommandsHttp.OfDevice(deviceId), Cancellation))!;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        await _context.DisposeAsync();
        _redis.Dispose();
    }
}
