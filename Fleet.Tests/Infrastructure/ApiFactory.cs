using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;

namespace Fleet.Tests.Infrastructure;

/// <summary>
/// Fleet.Api in the test process, on the run's real PostgreSQL (a fresh database per factory) and real Redis
/// (a Redis database index of its own, so counts do not mix between test classes). The type argument only
/// names Fleet.Api's assembly: the AppHost's Program would be ambiguous with the API's.
/// </summary>
public sealed class ApiFactory(string databaseConnectionString, string redisConnectionString, IReadOnlyDictionary<string, string?>? settings = null)
    : WebApplicationFactory<Fleet.Api.Infrastructure.FleetDbContext>
{
    public const string OperatorToken = "operator-token-for-tests-0123456789";
    public const string EnrollmentToken = "enrollment-token-for-tests-0123456789";
    public const string AdminPassword = "admin-password-for-tests-0123456789";

    /// <summary>One issuer key for the run, as the AppHost's parameter gives one to every replica.</summary>
    public static readonly string SigningKey = Fleet.Api.Identity.IssuerKeys.NewPem();
    private static int _nextRedisDatabase;

    /// <summary>The test Redis has this many databases, so every API of a run gets one of its own (leader locks, counts and sets never mix).</summary>
    public const int RedisDatabases = 1024;

    public int RedisDatabase { get; } = NextRedisDatabase();

    public string RedisConnectionString => $"{redisConnectionString},defaultDatabase={RedisDatabase}";

    public static int NextRedisDatabase() => Interlocked.Increment(ref _nextRedisDatabase) % RedisDatabases;

    /// <summary>What every test API is configured with, as configuration keys (an API run as a process gets the same).</summary>
    public static Dictionary<string, string?> Settings(string databaseConnectionString, string redisConnectionString) => new()
    {
        ["ConnectionStrings:fleetdb"] = databaseConnectionString,
        ["ConnectionStrings:cache"] = redisConnectionString,
        ["Fleet:OperatorToken"] = OperatorToken,
        ["Fleet:EnrollmentToken"] = EnrollmentToken,
        ["Fleet:Identity:AdminPassword"] = AdminPassword,
        ["Fleet:Identity:ClientSecret"] = IssuerClient.ClientSecret,
        ["Fleet:Identity:WebUrl"] = IssuerClient.WebUrl,
        ["Fleet:Identity:SigningKey"] = SigningKey,
        ["Fleet:HeartbeatMirrorInterval"] = "00:00:00.200",
        ["Fleet:Alerts:EvaluationInterval"] = "00:00:00.200",
    };

    public string DatabaseConnectionString => databaseConnectionString;

    /// <summary>Services replaced for this API after its own (e.g. an HTTP handler that reaches another API in the test process).</summary>
    public Action<IServiceCollection>? TestServices { get; init; }

    /// <param name="settings">Extra configuration for this API (e.g. a low rate limit), on top of the test defaults.</param>
    /// <param name="services">See <see cref="TestServices"/>.</param>
    public static async Task<ApiFactory> StartAsync(
        BackingServers servers, CancellationToken cancellationToken, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        var factory = new ApiFactory(await servers.CreateDatabaseAsync("api", cancellationToken), servers.RedisConnectionString, settings) { TestServices = services };
        using var client = factory.CreateClient();
        await Eventually.TrueAsync(
            async () => (await client.GetAsync("/health", cancellationToken)).IsSuccessStatusCode,
            TimeSpan.FromSeconds(60), "the API to apply migrations and report healthy", cancellationToken);
        return factory;
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in Settings(databaseConnectionString, RedisConnectionString).Concat(settings ?? new Dictionary<string, string?>()))
        {
            builder.UseSetting(key, value);
        }

        if (TestServices is { } services)
        {
            builder.ConfigureTestServices(services);
        }
    }
}

/// <summary>One API (and database) per test class; tests in the class use distinct serials.</summary>
public sealed class ApiFixture(BackingServers servers) : IAsyncLifetime
{
    public ApiFactory Api { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Api = await ApiFactory.StartAsync(servers, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Api.DisposeAsync();
}
