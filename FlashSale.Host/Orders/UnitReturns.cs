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
public sealed class UnitReturns(NpgsqlDataSource db, IStockAuthority authority, SaleEngineRegistry engines)
{
    /// <summary>Test hook: stop right after PostgreSQL said the order ended, before the units go back.</summary>
    internal Func<Guid, bool>? StopBeforeReturn { get; set; }

    public Task ReturnAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken) =>
        ReturnManyAsync([new Order(orderId, saleId, userId, quantity, 0, 0, OrderStatus.Expired, string.Empty, default, default, default)],
            cancellationToken);

    /// <summary>
    /// Returns the units of ended orders as one batch: every order's return is sent to the stock authority at once
    /// (Redis pipelines them), then one statement records all of them, and each sale's engine hears once. A sweep of
    /// 400,000 expired reservations is a few hundred such batches, not 400,000 round trips to each store.
    /// </summary>
    public async Task ReturnManyAsync(IReadOnlyList<Order> orders, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orders);
        var due = StopBeforeReturn is { } stop ? orders.Where(o => !stop(o.Id)).ToList() : orders;
        if (due.Count == 0)
        {
            return;
        }
        var sent = new Task<bool>[due.Count];
        for (var i = 0; i < due.Count; i++)
        {
            sent[i] = authority.ReturnUnitsAsync(due[i].FlashSaleId, due[i].Id, due[i].UserId, due[i].Quantity, cancellationToken).AsTask();
        }
        await Task.WhenAll(sent);
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            // The ledger rows and returned_at in one statement: an order leaves the sweeper's pending index exactly
            // when its return is recorded.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                with ledger as (
                    insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                    select s, o, 'returned', q, now() from unnest(@sales, @orders, @quantities) as t(s, o, q)
                    on conflict (order_id, movement) where order_id is not null do nothing
                )
                update orders set returned_at = now() where id = any(@orders) and returned_at is null
                """,
                new
                {
                    sales = due.Select(o => o.FlashSaleId).ToArray(),
                    orders = due.Select(o => o.Id).ToArray(),
                    quantities = due.Select(o => o.Quantity).ToArray(),
                },
                cancellationToken: cancellationToken));
        }
        // Units are back: the engine must stop answering "sold out" from what it last knew.
        foreach (var saleId in due.Select(o => o.FlashSaleId).Distinct())
        {
            engines.NotifyUnitsReturned(saleId);
        }
    }

    /// <summary>Finishes the returns a crash left half-done (oldest first, from the partial index); returns how many.</summary>
    public async Task<int> FinishPendingAsync(CancellationToken cancellationToken)
    {
        List<Order> pending;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            pending = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                select {OrderStore.Columns} from orders
                where status in ('expired', 'cancelled') and returned_at is null
                order by updated_at limit 1000
                """, cancellationToken: cancellationToken))).AsList();
        }
        await ReturnManyAsync(pending, cancellationToken);
        return pending.Count;
    }
}
