using Fleet.AppHost.Hosting;
using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

var operatorToken = builder.AddParameter("operator-token", secret: true);
var enrollmentToken = builder.AddParameter("enrollment-token", secret: true);

var cache = builder.AddRedis("cache");
var fleetdb = builder.AddPostgres("postgres").AddDatabase("fleetdb");

var api = builder.AddProject("api", "../Fleet.Api/Fleet.Api.csproj")
    .WithReference(cache).WaitFor(cache)
    .WithReference(fleetdb).WaitFor(fleetdb)
    .WithEnvironment("Fleet__OperatorToken", operatorToken)
    .WithEnvironment("Fleet__EnrollmentToken", enrollmentToken)
    .WithReplicas(builder.Configuration.GetValue("Fleet:ApiReplicas", 1))
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

builder.AddProject("web", "../Fleet.Web/Fleet.Web.csproj")
    .WithReference(api).WaitFor(api)
    .WithReference(cache)
    .WithEnvironment("Fleet__OperatorToken", operatorToken)
    .WithHttpHealthCheck("/health")
    .WithExternalHttpEndpoints();

// Deployed, the simulator keeps its identities in the pod's writable /tmp (a new pod registers new devices).
var simulatorState = builder.ExecutionContext.IsPublishMode
    ? "/tmp/fleet/simulator/devices.json"
    : Path.Combine(builder.Paths.StateDirectory, "simulator", "devices.json");
builder.AddProject("devices", "../Fleet.DeviceSim/Fleet.DeviceSim.csproj")
    .WithReference(api).WaitFor(api)
    .WithEnvironment("Fleet__EnrollmentToken", enrollmentToken)
    .WithEnvironment("Fleet__Devices", builder.Configuration.GetValue("Fleet:Devices", 25).ToString())
    .WithEnvironment("Fleet__Simulator__StateFile", simulatorState)
    .WithHttpHealthCheck("/health")
    .PublishAsDevelopmentOnly();

builder.Build().Run();
