using Fleet.Api.Rollouts;
using Fleet.Tests.Firmware;
using Fleet.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Fleet.Tests.Rollouts;

/// <summary>
/// Fleet.Api on a fresh database with a <see cref="FakeTimeProvider"/> and no background controller: tests run
/// controller ticks themselves and move time by hand, so soaks and timeouts pass in no time.
/// </summary>
public class RolloutControllerFixture(BackingServers servers) : IAsyncLifetime
{
    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext> Api { get; private set; } = null!;

    public string DatabaseConnectionString { get; private set; } = null!;

    public HttpClient Operator { get; private set; } = null!;

    public RolloutEngine Engine => Api.Services.GetRequiredService<RolloutEngine>();

    public RolloutDeviceProgress Progress => Api.Services.GetRequiredService<RolloutDeviceProgress>();

    /// <summary>Least time between stored gate evaluations; zero: every tick.</summary>
    protected virtual string GateInterval => "00:00:00";

    public async ValueTask InitializeAsync()
    {
        DatabaseConnectionString = await servers.CreateDatabaseAsync("rollouts", TestContext.Current.CancellationToken);
        var factory = new ApiFactory(DatabaseConnectionString, servers.RedisConnectionString);
        Api = factory.WithWebHostBuilder(web =>
        {
            web.UseSetting("Fleet:Rollouts:ControllerEnabled", "false");
            web.UseSetting("Fleet:Rollouts:GateInterval", GateInterval);
            web.ConfigureServices(services => services.AddSingleton<TimeProvider>(Clock));
        });
        Operator = Api.CreateClient().AsOperator();
        await Eventually.TrueAsync(
            async () => (await Operator.GetAsync("/health", TestContext.Current.CancellationToken)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the API to apply migrations and report healthy", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        Operator.Dispose();
        await Api.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
