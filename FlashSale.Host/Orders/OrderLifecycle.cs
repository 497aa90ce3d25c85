using Dapper;
using FlashSale.Host.Orders.Payments;
using Npgsql;

namespace FlashSale.Host.Orders;

/// <summary>
/// The transitions of an order: reserved → paid | expired | cancelled, nothing else. Each is a conditional update
/// from 'reserved' in PostgreSQL, so a payment and an expiry racing on one order end with exactly one winner.
/// </summary>
public sealed class OrderLifecycle(NpgsqlDataSource db, IPaymentGateway gateway, UnitReturns returns, TimeProvider clock)
{
    public enum PayOutcome { Paid, AlreadyPaid, Declined, InsufficientFunds, Expired, Cancelled, NotFound }

    public enum CancelOutcome { Cancelled, AlreadyCancelled, NotReserved, NotFound }

    /// <summary>
    /// Pays an order of <paramref name="userId"/>. The order row stays locked while the gateway charges, so the
    /// expiry sweeper (which skips locked rows) cannot expire an order that is being paid, and a charge is never
    /// taken for an order that ends up expired.
    /// </summary>
    public async Task<(PayOutcome Outcome, Order? Order)> PayAsync(Guid orderId, Guid userId, string cardNumber, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var order = await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"select {OrderStore.Columns} from orders where id = @orderId and user_id = @userId for update",
            new { orderId, userId }, transaction, cancellationToken: cancellationToken));
        switch (order)
        {
            case null:
                return (PayOutcome.NotFound, null);
            case { Status: OrderStatus.Paid }:
                return (PayOutcome.AlreadyPaid, order);
            case { Status: OrderStatus.Cancelled }:
                return (PayOutcome.Cancelled, order);
            case { Status: OrderStatus.Expired }:
                return (PayOutcome.Expired, order);
        }
        if (order.ExpiresAt <= now)
        {
            // Past its deadline: the sweeper will expire it and return the units; no charge.
            return (PayOutcome.Expired, order);
        }

        var result = await gateway.ChargeAsync(order.Id, order.TotalPrice, cardNumber, cancellationToken);
        var last4 = cardNumber[^4..];
        var payment = new { id = Guid.CreateVersion7(), orderId, amount = order.TotalPrice, outcome = OutcomeName(result), last4, now };
        if (result != PaymentOutcome.Approved)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into payments (id, order_id, amount, outcome, card_last4, created_at) values (@id, @orderId, @amount, @outcome, @last4, @now)",
                payment, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            return (result == PaymentOutcome.Declined ? PayOutcome.Declined : PayOutcome.InsufficientFunds, order);
        }
        // The payment, the status change and its ledger row in one statement: one round trip instead of three while
        // the row lock is held (payments are bursty after a flash sale, and every round trip here holds a pooled
        // connection and the order's lock).
        var paid = await connection.QuerySingleAsync<Order>(new CommandDefinition(
            $"""
            with payment as (
                insert into payments (id, order_id, amount, outcome, card_last4, created_at)
                values (@id, @orderId, @amount, @outcome, @last4, @now)
            ), paid as (
                update orders set status = 'paid', updated_at = @now where id = @orderId and status = 'reserved'
                returning {OrderStore.Columns}
            ), ledger as (
                insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                select flash_sale_id, id, 'paid', quantity, @now from paid
            )
            select {OrderStore.Columns} from paid
            """, payment, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (PayOutcome.Paid, paid);
    }

    /// <summary>Cancels a reserved order of its owner and returns its units.</summary>
    public async Task<(CancelOutcome Outcome, Order? Order)> CancelAsync(Guid orderId, Guid userId, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        Order? cancelled;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            cancelled = await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
                $"""
                update orders set status = 'cancelled', updated_at = @now
                where id = @orderId and user_id = @userId and status = 'reserved' returning {OrderStore.Columns}
                """, new { orderId, userId, now }, transaction, cancellationToken: cancellationToken));
            if (cancelled is null)
            {
                var current = await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
                    $"select {OrderStore.Columns} from orders where id = @orderId and user_id = @userId",
                    new { orderId, userId }, transaction, cancellationToken: cancellationToken));
                return current switch
                {
                    null => (CancelOutcome.NotFound, null),
                    { Status: OrderStatus.Cancelled } => (CancelOutcome.AlreadyCancelled, current),
                    _ => (CancelOutcome.NotReserved, current),
                };
            }
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at) values (@FlashSaleId, @Id, 'cancelled', @Quantity, @now)",
                new { cancelled.FlashSaleId, cancelled.Id, cancelled.Quantity, now }, transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
        }
        await returns.ReturnAsync(cancelled.FlashSaleId, cancelled.Id, cancelled.UserId, cancelled.Quantity, cancellationToken);
        return (CancelOutcome.Cancelled, cancelled);
    }

    /// <summary>
    /// Expires up to <paramref name="limit"/> reserved orders past their deadline and returns their units. Safe
    /// with several hosts sweeping at once: rows are claimed with SKIP LOCKED, and an order being paid is locked.
    /// </summary>
    public async Task<int> ExpireDueAsync(int limit, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        List<Order> expired;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken))
        {
            expired = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                with due as (
                    select id from orders where status = 'reserved' and expires_at <= @now
                    order by expires_at limit @limit for update skip locked
                )
                update orders o set status = 'expired', updated_at = @now from due where o.id = due.id
                returning o.{OrderStore.Columns.Replace(", ", ", o.", StringComparison.Ordinal)}
                """, new { now, limit }, transaction, cancellationToken: cancellationToken))).AsList();
            if (expired.Count > 0)
            {
                await connection.ExecuteAsync(new CommandDefinition(
                    """
                    insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                    select s, o, 'expired', q, @now from unnest(@sales, @orders, @quantities) as t(s, o, q)
                    """,
                    new { now, sales = expired.Select(e => e.FlashSaleId).ToArray(), orders = expired.Select(e => e.Id).ToArray(),
                          quantities = expired.Select(e => e.Quantity).ToArray() },
                    transaction, cancellationToken: cancellationToken));
            }
            await transaction.CommitAsync(cancellationToken);
        }
        foreach (var order in expired)
        {
            await returns.ReturnAsync(order.FlashSaleId, order.Id, order.UserId, order.Quantity, cancellationToken);
        }
        return expired.Count;
    }

    private static string OutcomeName(PaymentOutcome outcome) => outcome switch
    {
        PaymentOutcome.Approved => "approved",
        PaymentOutcome.Declined => "declined",
        _ => "insufficient_funds",
    };
}
