using Fleet.DeviceSim;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.Services.AddOptions<SimulatorOptions>()
    .Bind(builder.Configuration.GetSection(SimulatorOptions.Section))
    .ValidateDataAnnotations()
    .ValidateOnStart();
builder.Services.AddSingleton(TimeProvider.System);
builder.Services.AddSingleton<SimulatorStatus>();
builder.Services.AddHttpClient<FleetApiClient>(http => http.BaseAddress = new Uri("http://api"));
builder.Services.AddHostedService<FleetSimulator>();

var app = builder.Build();

app.MapGet("/status", (SimulatorStatus status) => TypedResults.Ok(status.Current()));
app.MapDefaultEndpoints();

app.Run();
