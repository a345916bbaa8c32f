using Microsoft.Playwright;

namespace Fleet.Tests.Web;

/// <summary>
/// Debian's headless Chromium driven by Playwright (no browser download), with a fresh profile per session.
/// Screenshots go to <c>TestResults/screenshots</c> in the test output folder.
/// </summary>
public sealed class BrowserSession : IAsyncDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ];

    private readonly IPlaywright _playwright;
    private readonly string _profile;

    private BrowserSession(IPlaywright playwright, IBrowserContext context, string profile)
    {
        (_playwright, Context, _profile) = (playwright, context, profile);
    }

    public IBrowserContext Context { get; }

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "TestResults", "screenshots");

    public static async Task<BrowserSession> StartAsync()
    {
        var profile = Infrastructure.TestDirectories.Create("chromium");
        var playwright = await Playwright.CreateAsync();
        try
        {
            var context = await playwright.Chromium.LaunchPersistentContextAsync(profile, new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = ChromiumPath,
                Headless = true,
                Args = ChromiumArgs,
                ViewportSize = new ViewportSize { Width = 1400, Height = 900 },
            });
            return new BrowserSession(playwright, context, profile);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }

    /// <summary>Opens <paramref name="url"/> and waits until the Blazor circuit is up (the layout marks it), not just the prerendered HTML.</summary>
    public async Task<IPage> OpenAsync(string url, IPage? page = null)
    {
        page ??= await Context.NewPageAsync();
        await page.GotoAsync(url);
        await page.Locator("[data-circuit=connected]").WaitForAsync(new() { Timeout = 30_000 });
        return page;
    }

    /// <summary>
    /// Opens the web, which sends a visitor to the issuer's login page; signs in there as <paramref name="user"/> and
    /// waits until the web's circuit is up.
    /// </summary>
    public async Task<IPage> SignInAsync(string webUrl, string user, string password, IPage? page = null)
    {
        page ??= await Context.NewPageAsync();
        await page.GotoAsync(webUrl);
        var username = page.Locator("input[name=username]");
        await username.WaitForAsync(new() { Timeout = 30_000 });
        await username.FillAsync(user);
        await page.Locator("input[name=password]").FillAsync(password);
        await page.GetByTestId("login-submit").ClickAsync();
        await page.Locator("[data-circuit=connected]").WaitForAsync(new() { Timeout = 30_000 });
        return page;
    }

    public static async Task ScreenshotAsync(IPage page, string name)
    {
        Directory.CreateDirectory(ScreenshotDirectory);
        await page.ScreenshotAsync(new() { Path = Path.Combine(ScreenshotDirectory, $"{name}.png"), FullPage = true });
    }

    public async ValueTask DisposeAsync()
    {
        await Context.DisposeAsync();
        _playwright.Dispose();
        Infrastructure.TestDirectories.Delete(_profile);
    }
}
