using Npgsql;

namespace Fleet.Tests.Infrastructure;

/// <summary>One query straight against PostgreSQL, for tests that check what was stored.</summary>
public static class Sql
{
    /// <summary>Runs <paramref name="sql"/> with positional parameters ($1, $2 ...) and returns the first column of the first row.</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
