using Bunit;
using Fleet.Tests.Infrastructure;
using Fleet.Tests.Rollouts;
using Fleet.Web.Components.Shared;
using Microsoft.AspNetCore.Components.Forms;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace Fleet.Tests.Web;

/// <summary>Forms say what is wrong where it is wrong, and what they need before the operator gets it wrong.</summary>
public sealed class FormRulesTests : IClassFixture<ApiFixture>, IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);
    private readonly HttpClient _http;
    private readonly BunitContext _context;

    public FormRulesTests(ApiFixture fixture)
    {
        _http = fixture.Api.OperatorClient();
        _context = WebTestContext.Create(_http);
    }

    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    [Fact]
    public async Task Publishing_a_version_that_exists_says_so_at_the_version_field()
    {
        var existing = await _http.PublishReleaseAsync(Cancellation);
        var card = _context.Render<FirmwareUploadCard>();
        Input(card, "firmware-version").Input(existing.Version);
        Input(card, "firmware-types").Input("meter");
        card.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3, 4], "fw.bin"));

        Publish(card);

        card.WaitForAssertion(() => Input(card, "firmware-version").Closest(".mud-input-control")!.TextContent
            .ShouldContain($"A release with version {existing.Version} exists"), Wait);
        card.FindAll("[data-testid=firmware-upload-problem]").ShouldBeEmpty();
    }

    [Fact]
    public async Task A_successful_publish_resets_the_file_picker_for_the_next_release()
    {
        await _http.RegisterDeviceAsync($"SER-PICK-{Guid.NewGuid():N}", Cancellation);
        var card = _context.Render<FirmwareUploadCard>();
        Input(card, "firmware-version").Input($"7.{Random.Shared.Next(1_000_000)}.0");
        Input(card, "firmware-types").Input("meter");
        var picker = card.FindComponent<InputFile>().Instance;
        picker.ShouldNotBeNull();
        card.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3, 4], "fw.bin"));
        card.Find("[data-testid=firmware-file-name]").TextContent.ShouldContain("fw.bin");

        Publish(card);

        card.WaitForAssertion(() => card.FindAll("[data-testid=firmware-file-name]").ShouldBeEmpty(), Wait);
        card.FindComponent<InputFile>().Instance.ShouldNotBeSameAs(picker);
        Input(card, "firmware-version").GetAttribute("value").ShouldBeNullOrEmpty();
        card.FindAll("[data-testid=firmware-file-error]").ShouldBeEmpty();
    }

    [Fact]
    public async Task An_unknown_device_type_or_revision_is_warned_about_at_its_field_but_can_be_published()
    {
        await _http.RegisterDeviceAsync($"SER-KNOWN-{Guid.NewGuid():N}", Cancellation);
        var card = _context.Render<FirmwareUploadCard>();
        Input(card, "firmware-version").Input($"8.{Random.Shared.Next(1_000_000)}.0");

        Input(card, "firmware-types").Input("meter, toaster");
        Input(card, "firmware-revisions").Input("rev-a");

        card.WaitForAssertion(() => FieldText(card, "firmware-types").ShouldContain("No device of type toaster exists"), Wait);
        FieldText(card, "firmware-revisions").ShouldNotContain("No device");
        Input(card, "firmware-revisions").Input("rev-zz");
        card.WaitForAssertion(() => FieldText(card, "firmware-revisions").ShouldContain("No device of hardware revision rev-zz exists"), Wait);

        card.FindComponent<InputFile>().UploadFiles(InputFileContent.CreateFromBinary([1, 2, 3, 4], "fw.bin"));
        Publish(card);

        card.WaitForAssertion(() => card.FindAll("[data-testid=firmware-file-name]").ShouldBeEmpty(), Wait);
        card.FindAll("[data-testid=firmware-upload-problem]").ShouldBeEmpty();
    }

    [Fact]
    public void The_firmware_file_input_has_a_label()
    {
        var card = _context.Render<FirmwareUploadCard>();

        var file = card.Find("input[type=file]");
        card.Find($"label[for='{file.Id}']").TextContent.ShouldBe("Firmware image");
    }

    [Fact]
    public async Task Acknowledging_marks_its_note_as_required_before_anything_is_typed()
    {
        var dialogs = _context.Render<MudDialogProvider>();
        var service = _context.Services.GetRequiredService<IDialogService>();

        _ = ReasonDialog.AskAsync(service, "Acknowledge alert", "Who handles it?", "Acknowledge", required: true, destructive: false, label: "Note");

        await dialogs.WaitForAssertionAsync(() => dialogs.Find("[data-testid=reason-dialog]"), Wait);
        var note = dialogs.Find("textarea[data-testid=reason-input], [data-testid=reason-input] textarea");
        note.HasAttribute("required").ShouldBeTrue();
        note.Closest(".mud-input-control")!.TextContent.ShouldContain("Required");
        dialogs.Find("[data-testid=reason-confirm]").HasAttribute("disabled").ShouldBeTrue();
    }

    /// <summary>
    /// The card re-renders when its fleet statistics arrive (for the field warnings), which can replace the button's
    /// handler between finding and clicking it: a click on the render before is refused (nothing dispatched) and retried.
    /// </summary>
    private static void Publish(IRenderedComponent<FirmwareUploadCard> card)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                card.Find("[data-testid=firmware-publish]").Click();
                return;
            }
            catch (Bunit.Rendering.UnknownEventHandlerIdException) when (attempt < 5)
            {
            }
        }
    }

    private static string FieldText<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        Input(component, testId).Closest(".mud-input-control")!.TextContent;

    private static AngleSharp.Dom.IElement Input<T>(IRenderedComponent<T> component, string testId)
        where T : Microsoft.AspNetCore.Components.IComponent =>
        component.Find($"input[data-testid={testId}], [data-testid={testId}] input");

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return _context.DisposeAsync();
    }
}
