using Fleet.Web.Components;
using Fleet.Web.Identity;
using Fleet.Web.Services;
using MudBlazor.Services;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRedisClient("cache", configureOptions: options => options.AbortOnConnectFail = false);
builder.Services.AddRazorComponents().AddInteractiveServerComponents();
builder.Services.AddMudServices();
builder.AddFleetSignIn();
builder.AddFleetApi();

var app = builder.Build();
if (!SettingsCheck.Passes(app.Services, "Fleet.Web", Console.Error))
{
    return 2;
}

app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapAccountEndpoints();
app.MapRazorComponents<App>().AddInteractiveServerRenderMode().RequireAuthorization();
app.MapDefaultEndpoints();

app.Run();
return 0;
