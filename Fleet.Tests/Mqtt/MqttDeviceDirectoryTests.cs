using System.Net;
using System.Net.Http.Headers;
using Fleet.Api.Devices;
using Fleet.Api.Mqtt;
using Fleet.Contracts;
using Fleet.Tests.Infrastructure;
using Microsoft.Extensions.Caching.Memory;
using Npgsql;

namespace Fleet.Tests.Mqtt;

/// <summary>The collector's directory of devices, against the registry in a real PostgreSQL.</summary>
public sealed class MqttDeviceDirectoryTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static CancellationToken Cancellation => Xunit.TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_burst_of_devices_not_yet_remembered_is_answered_without_exhausting_the_connection_pool()
    {
        using var http = fixture.Api.CreateClient();
        var active = await http.RegisterDeviceAsync($"DIR-A-{Guid.NewGuid():N}", Cancellation);
        var suspended = await http.RegisterDeviceAsync($"DIR-S-{Guid.NewGuid():N}", Cancellation);
        using (var suspend = new HttpRequestMessage(HttpMethod.Post, $"{FleetHttp.DevicesRoute}/{suspended.DeviceId}/suspend"))
        {
            suspend.Headers.Authorization = new AuthenticationHeaderValue(FleetHttp.OperatorAuthScheme, ApiFactory.OperatorToken);
            (await http.SendAsync(suspend, Cancellation)).StatusCode.ShouldBe(HttpStatusCode.OK);
        }

        // One connection, waited for at most a second: a query per device would leave most of the burst past that.
        var restricted = new NpgsqlConnectionStringBuilder(fixture.Api.DatabaseConnectionString) { MaxPoolSize = 1, Timeout = 1 };
        await using var dataSource = NpgsqlDataSource.Create(restricted.ConnectionString);
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var directory = new MqttDeviceDirectory(dataSource, cache);
        var unknown = Enumerable.Range(0, 20_000).Select(_ => Guid.NewGuid()).ToList();

        var burst = unknown.Append(active.DeviceId).Append(suspended.DeviceId).Append(active.DeviceId)
            .Select(async id => await directory.LifecycleAsync(id, Cancellation)).ToList();
        var answers = await Task.WhenAll(burst);

        answers.Take(unknown.Count).ShouldAllBe(lifecycle => lifecycle == null);
        answers.Skip(unknown.Count).ShouldBe([DeviceLifecycle.Active, DeviceLifecycle.Suspended, DeviceLifecycle.Active]);
    }

    [Fact]
    public async Task A_lookup_the_database_cannot_answer_throws_and_is_tried_again_on_the_next_message()
    {
        using var http = fixture.Api.CreateClient();
        var active = await http.RegisterDeviceAsync($"DIR-B-{Guid.NewGuid():N}", Cancellation);
        using var cache = new MemoryCache(new MemoryCacheOptions());
        var unreachable = new NpgsqlConnectionStringBuilder(fixture.Api.DatabaseConnectionString) { Host = "127.0.0.1", Port = 1, Timeout = 1 };
        await using (var down = NpgsqlDataSource.Create(unreachable.ConnectionString))
        {
            await Should.ThrowAsync<NpgsqlException>(async () => await new MqttDeviceDirectory(down, cache).LifecycleAsync(active.DeviceId, Cancellation));
        }

        await using var up = NpgsqlDataSource.Create(fixture.Api.DatabaseConnectionString);
        (await new MqttDeviceDirectory(up, cache).LifecycleAsync(active.DeviceId, Cancellation)).ShouldBe(DeviceLifecycle.Active);
    }
}
