using Dapper;
using FlashSale.Engine.Core;
using Npgsql;

namespace FlashSale.Host.Orders;

/// <summary>
/// Gives the units of expired and cancelled orders back to their sale, exactly once per order.
/// PostgreSQL decides that an order ended (a conditional update from 'reserved'); the stock authority's return is
/// idempotent by order id; the 'returned' ledger row (unique per order) records that the return is done. A crash
/// between any two of these steps is finished by the next <see cref="FinishPendingAsync"/>: it picks the ended
/// orders with no 'returned' row and returns them again, which the authority turns into a no-op if it already
/// happened.
/// </summary>
public sealed class UnitReturns(NpgsqlDataSource db, IStockAuthority authority, SaleEngineRegistry engines, TimeProvider clock)
{
    /// <summary>Test hook: stop right after PostgreSQL said the order ended, before the units go back.</summary>
    internal Func<Guid, bool>? StopBeforeReturn { get; set; }

    public async Task ReturnAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken)
    {
        if (StopBeforeReturn?.Invoke(orderId) == true)
        {
            return;
        }
        await authority.ReturnUnitsAsync(saleId, orderId, userId, quantity, cancellationToken);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // The ledger row and returned_at in one statement: the order leaves the sweeper's pending index exactly when
        // the return is recorded.
        await connection.ExecuteAsync(new CommandDefinition(
            """
            with ledger as (
                insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                values (@saleId, @orderId, 'returned', @quantity, @now)
                on conflict (order_id, movement) where order_id is not null do nothing
            )
            update orders set returned_at = @now where id = @orderId and returned_at is null
            """, new { saleId, orderId, quantity, now = clock.GetUtcNow().UtcDateTime }, cancellationToken: cancellationToken));
        // Units are back: the engine must stop answering "sold out" from what it last knew.
        engines.NotifyUnitsReturned(saleId);
    }

    /// <summary>Finishes the returns a crash left half-done; returns how many it finished.</summary>
    public async Task<int> FinishPendingAsync(CancellationToken cancellationToken)
    {
        List<(Guid Id, Guid FlashSaleId, Guid UserId, int Quantity)> pending;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            pending = (await connection.QueryAsync<(Guid, Guid, Guid, int)>(new CommandDefinition(
                """
                select id, flash_sale_id, user_id, quantity from orders
                where status in ('expired', 'cancelled') and returned_at is null
                order by updated_at limit 1000
                """, cancellationToken: cancellationToken))).AsList();
        }
        foreach (var (id, saleId, userId, quantity) in pending)
        {
            await ReturnAsync(saleId, id, userId, quantity, cancellationToken);
        }
        return pending.Count;
    }
}
