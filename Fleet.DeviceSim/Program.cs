using Fleet.DeviceSim;
using Fleet.DeviceSim.Faults;
using Microsoft.Extensions.Options;

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

app.MapGet("/status", (SimulatorStatus status) => TypedResults.Ok(status.Current()));
app.MapFaultsApi();
app.MapDefaultEndpoints();

try
{
    app.Run();
}
catch (OptionsValidationException exception)
{
    Console.Error.WriteLine($"Fleet.DeviceSim: {exception.Message}");
    return 2;
}

return 0;
