using Microsoft.EntityFrameworkCore;

namespace Fleet.Api.Infrastructure;

public static class BrokerTransactions
{
    /// <summary>
    /// Runs <paramref name="work"/> in one database transaction (when <paramref name="transactional"/>) under the
    /// context's execution strategy, which retries the whole unit on a transient failure: a change that must land in the
    /// registry and somewhere else (the MQTT broker) commits only after both took it.
    /// </summary>
    public static Task<T> InTransactionAsync<T>(this DbContext db, bool transactional, Func<CancellationToken, Task<T>> work, CancellationToken cancellationToken) =>
        !transactional
            ? work(cancellationToken)
            : db.Database.CreateExecutionStrategy().ExecuteAsync(async ct =>
            {
                await using var transaction = await db.Database.BeginTransactionAsync(ct);
                var result = await work(ct);
                await transaction.CommitAsync(ct);
                return result;
            }, cancellationToken);
}
