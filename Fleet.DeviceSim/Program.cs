using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;

IReadOnlyList<string>? arguments;
try
{
    arguments = SimulatorCommandLine.Translate(args);
}
catch (ArgumentException exception)
{
    Console.Error.WriteLine($"Fleet.DeviceSim: {exception.Message}");
    return 2;
}

if (arguments is null)
{
    Console.WriteLine(SimulatorCommandLine.Usage);
    return 0;
}

var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [.. arguments] });

builder.AddServiceDefaults();
builder.AddDeviceSimulator();

var app = builder.Build();
if (!SettingsCheck.Passes(app.Services, "Fleet.DeviceSim", Console.Error))
{
    return 2;
}


app.MapGet("/status", (SimulatorStatus status) => TypedResults.Ok(status.Current()));
app.MapFaultsApi();
app.MapDefaultEndpoints();

app.Run();
return 0;
