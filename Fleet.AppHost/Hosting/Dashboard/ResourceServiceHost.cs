using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Serialization;
using Fleet.AppHost.Hosting.Orchestration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Fleet.AppHost.Hosting.Dashboard;

/// <summary>A resource as the dashboard's resources page shows it.</summary>
public sealed record ResourceServiceItem(
    string Name, string Kind, ResourceState State, DateTimeOffset? StartedAt, int Restarts, IReadOnlyList<string> Urls, IReadOnlyList<int> ProcessIds, bool CanControl);

public enum ResourceCommand
{
    Stop,
    Start,
    Restart,
}

/// <summary>
/// The AppHost's own small HTTP API on loopback, for the dashboard: resources, each one's console lines,
/// and stop / start / restart of a project. Every call carries the per-run key the dashboard was given.
/// </summary>
internal sealed class ResourceServiceHost(ResourceServiceEndpoint endpoint, Orchestrator orchestrator, ConsoleReporter console) : IHostedService, IAsyncDisposable
{
    private WebApplication? _app;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ApplicationName = "Fleet.AppHost" });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, endpoint.Port));
        builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        var app = builder.Build();
        var expected = Encoding.UTF8.GetBytes(endpoint.ApiKey);
        app.Use((context, next) =>
        {
            var presented = Encoding.UTF8.GetBytes(context.Request.Headers[ResourceServiceEndpoint.ApiKeyHeader].ToString());
            if (CryptographicOperations.FixedTimeEquals(presented, expected))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });
        app.MapGet("/resources", () => TypedResults.Ok(orchestrator.Snapshots()
            .Where(resource => resource.Kind != "parameter")
            .Select(resource => new ResourceServiceItem(
                resource.Name, resource.Kind, resource.State, resource.StartedAt, resource.Restarts, resource.Urls, resource.ProcessIds,
                orchestrator.CanControl(resource.Name)))
            .ToList()));
        app.MapGet("/resources/{name}/console", (string name, long? after) => TypedResults.Ok(console.Logs.After(name, after ?? 0)));
        app.MapPost("/resources/{name}/{command}", ControlAsync);
        await app.StartAsync(cancellationToken);
        _app = app;
    }

    private async Task<Results<NoContent, NotFound, ProblemHttpResult>> ControlAsync(string name, string command)
    {
        if (!Enum.TryParse<ResourceCommand>(command, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
        {
            return TypedResults.Problem("Use stop, start or restart.", statusCode: StatusCodes.Status400BadRequest);
        }

        if (!orchestrator.Has(name))
        {
            return TypedResults.NotFound();
        }

        if (!orchestrator.CanControl(name))
        {
            return TypedResults.Problem($"{name} is not a project the dashboard may stop or start.", statusCode: StatusCodes.Status409Conflict);
        }

        await orchestrator.ControlAsync(name, parsed);
        return TypedResults.NoContent();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is not null)
        {
            await _app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
