using Npgsql;

namespace Fleet.Tests.Infrastructure;

/// <summary>One statement straight against PostgreSQL, for tests that check what was stored or set a state up.</summary>
public static class Sql
{
    /// <summary>Runs <paramref name="sql"/> with positional parameters ($1, $2 ...) and returns the first column of the first row.</summary>
    public static async Task<T> ScalarAsync<T>(string connectionString, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = Command(connection, sql, parameters);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Runs <paramref name="sql"/> with positional parameters ($1, $2 ...).</summary>
    public static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var connection = await OpenAsync(connectionString, cancellationToken);
        await using var command = Command(connection, sql, parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    private static NpgsqlCommand Command(NpgsqlConnection connection, string sql, object[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection);
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
