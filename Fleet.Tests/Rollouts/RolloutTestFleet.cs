using System.Net.Http.Json;
using Fleet.Contracts;
using Fleet.Tests.Firmware;
using Npgsql;

namespace Fleet.Tests.Rollouts;

/// <summary>Devices written straight into PostgreSQL (fast, any attributes) and rollouts created over HTTP, for rollout tests.</summary>
public static class RolloutTestFleet
{
    /// <summary>Inserts <paramref name="count"/> active devices, or the devices <paramref name="ids"/> when given.</summary>
    public static async Task<List<Guid>> InsertDevicesAsync(
        string connectionString, int count, string region, CancellationToken cancellationToken,
        string type = "meter", string hardwareRevision = "rev-a", string environment = "blue", string? firmware = "1.0.0", string[]? tags = null, IReadOnlyList<Guid>? ids = null)
    {
        ids ??= [.. Enumerable.Range(0, count).Select(_ => Guid.NewGuid())];
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            INSERT INTO devices (id, serial, type, hardware_revision, region, environment, tags, firmware_version, lifecycle, created_at, connectivity)
            SELECT id, 'RT-' || replace(id::text, '-', ''), $2, $3, $4, $5, $6, $7, 'Active', now(), 'online' FROM unnest($1::uuid[]) AS id
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ids.ToArray() });
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = hardwareRevision });
        command.Parameters.Add(new NpgsqlParameter { Value = region });
        command.Parameters.Add(new NpgsqlParameter { Value = environment });
        command.Parameters.Add(new NpgsqlParameter { Value = tags ?? [] });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)firmware ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Varchar });
        await command.ExecuteNonQueryAsync(cancellationToken);
        return [.. ids];
    }

    public static async Task<FirmwareReleaseResponse> PublishReleaseAsync(this HttpClient operatorHttp, CancellationToken cancellationToken, string deviceTypes = "meter", string? hardwareRevisions = null, string? minimumCurrentVersion = null) =>
        await operatorHttp.PublishAsync($"2.{Random.Shared.Next(1_000_000)}.{Random.Shared.Next(1_000_000)}", [1, 2, 3, 4], cancellationToken, deviceTypes, hardwareRevisions, minimumCurrentVersion);

    public static async Task<RolloutResponse> CreateRolloutAsync(this HttpClient operatorHttp, CreateRolloutRequest request, CancellationToken cancellationToken)
    {
        using var response = await operatorHttp.PostAsJsonAsync(RolloutHttp.RolloutsRoute, request, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Create rollout: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        return (await response.Content.ReadFromJsonAsync<RolloutResponse>(cancellationToken))!;
    }

    public static Task<HttpResponseMessage> ActAsync(this HttpClient operatorHttp, Guid id, string action, CancellationToken cancellationToken, string? reason = null) =>
        operatorHttp.PostAsJsonAsync(RolloutHttp.Action(id, action), new RolloutActionRequest(reason), cancellationToken);
}
