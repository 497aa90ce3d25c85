using Dapper;
using FlashSale.Host.Notifications;
using FlashSale.Host.Orders.Payments;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Orders;

/// <summary>
/// The transitions of an order: reserved → paid | expired | cancelled, nothing else. Each is a conditional update
/// from 'reserved' in PostgreSQL, so a payment and an expiry racing on one order end with exactly one winner. Every
/// deadline is compared on PostgreSQL's <c>now()</c> (one clock for all hosts).
/// <para>
/// Paying takes no row lock across the gateway call: one statement marks the attempt (<c>pay_started_at</c>, only
/// for a reserved order inside its deadline), the gateway charges with the order id as its idempotency key, and one
/// statement records the payment, the status and the ledger row. An order marked as being paid is not expired for
/// <see cref="OrderSweepOptions.PaymentGraceSeconds"/>; after that, or when the commit after a charge failed, the
/// sweeper and the next pay attempt ask the gateway and complete a charged order instead of expiring it.
/// </para>
/// </summary>
public sealed partial class OrderLifecycle(NpgsqlDataSource db, IPaymentGateway gateway, PayDesk desk, UnitReturns returns,
    IOptions<OrderSweepOptions> options, OrderNotices notices, ILogger<OrderLifecycle> logger)
{
    public enum PayOutcome { Paid, AlreadyPaid, Declined, InsufficientFunds, Expired, Cancelled, NotFound }

    public enum CancelOutcome { Cancelled, AlreadyCancelled, NotReserved, PaymentInProgress, NotFound }

    private static readonly string ReturnedColumns = "o." + OrderStore.Columns.Replace(", ", ", o.", StringComparison.Ordinal);

    private double GraceSeconds => options.Value.PaymentGraceSeconds;

    /// <summary>Pays an order of <paramref name="userId"/>: two (batched) statements around the charge, no lock held while it runs.</summary>
    public async Task<(PayOutcome Outcome, Order? Order)> PayAsync(Guid orderId, Guid userId, string cardNumber, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cardNumber);
        // Batched with the host's other payments of this moment (PayDesk): one statement and one commit for all of them.
        var order = await desk.MarkAsync(orderId, userId, cancellationToken);
        if (order is null)
        {
            return await PayUnclaimableAsync(orderId, userId, cancellationToken);
        }

        PaymentOutcome result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // Bounded so that the sweeper's grace outlives every charge this host still waits for.
            timeout.CancelAfter(TimeSpan.FromSeconds(options.Value.ChargeTimeoutSeconds));
            result = await gateway.ChargeAsync(order.Id, order.TotalPrice, cardNumber, timeout.Token);
        }
        if (result == PaymentOutcome.Approved)
        {
            return await CompleteAsync(order, new GatewayCharge(order.Id, order.TotalPrice, cardNumber[^4..]), cancellationToken);
        }
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            // The refusal is recorded and the attempt cleared: nothing is in flight any more, the order waits for another card.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                with cleared as (update orders set pay_started_at = null where id = @orderId and status = 'reserved')
                insert into payments (id, order_id, amount, outcome, card_last4, created_at) values (@id, @orderId, @amount, @outcome, @last4, now())
                """, new { id = Guid.CreateVersion7(), orderId, amount = order.TotalPrice, outcome = OutcomeName(result), last4 = cardNumber[^4..] },
                cancellationToken: cancellationToken));
        }
        return (result == PaymentOutcome.Declined ? PayOutcome.Declined : PayOutcome.InsufficientFunds, order);
    }

    /// <summary>
    /// The order could not be marked for payment: someone else's or missing, no longer reserved, or past its deadline.
    /// A reserved order past its deadline may have been charged by an attempt whose commit failed: the gateway says.
    /// </summary>
    private async Task<(PayOutcome Outcome, Order? Order)> PayUnclaimableAsync(Guid orderId, Guid userId, CancellationToken cancellationToken)
    {
        var order = await FindAsync(orderId, userId, cancellationToken);
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
        if (await gateway.FindChargeAsync(order.Id, cancellationToken) is { } charge)
        {
            return await CompleteAsync(order, charge, cancellationToken);
        }
        // Past its deadline and never charged: the sweeper expires it and returns the units; no charge now.
        return (PayOutcome.Expired, order);
    }

    /// <summary>
    /// Records an approved charge: the payment, the status and the ledger row in one statement (batched by the
    /// <see cref="PayDesk"/>), all conditional on the order still being reserved, so two completions of one charge (a
    /// retry and the sweeper) record it once.
    /// </summary>
    private async Task<(PayOutcome Outcome, Order? Order)> CompleteAsync(Order order, GatewayCharge charge, CancellationToken cancellationToken)
    {
        var paid = await desk.CompleteAsync(charge, cancellationToken);
        if (paid is not null)
        {
            return (PayOutcome.Paid, paid);
        }
        var current = await FindAsync(order.Id, order.UserId, cancellationToken);
        switch (current?.Status)
        {
            case OrderStatus.Paid:
                return (PayOutcome.AlreadyPaid, current);
            case OrderStatus.Cancelled:
                LogChargedButEnded(logger, order.Id, OrderStatus.Cancelled);
                return (PayOutcome.Cancelled, current);
            default:
                LogChargedButEnded(logger, order.Id, current?.Status ?? "missing");
                return (PayOutcome.Expired, current);
        }
    }

    private async Task<Order?> FindAsync(Guid orderId, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"select {OrderStore.Columns} from orders where id = @orderId and user_id = @userId", new { orderId, userId },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Cancels a reserved order of its owner and returns its units. An order with a payment attempt is cancelled only
    /// once the gateway says it was not charged (a charged one is completed instead) and the attempt is past its grace.
    /// </summary>
    public async Task<(CancelOutcome Outcome, Order? Order)> CancelAsync(Guid orderId, Guid userId, CancellationToken cancellationToken)
    {
        var cancelled = await TryCancelAsync(orderId, userId, attemptPassed: false, cancellationToken);
        if (cancelled is null)
        {
            var current = await FindAsync(orderId, userId, cancellationToken);
            switch (current)
            {
                case null:
                    return (CancelOutcome.NotFound, null);
                case { Status: OrderStatus.Cancelled }:
                    return (CancelOutcome.AlreadyCancelled, current);
                case { Status: not OrderStatus.Reserved }:
                    return (CancelOutcome.NotReserved, current);
            }
            // Reserved with a payment attempt on record.
            if (await gateway.FindChargeAsync(orderId, cancellationToken) is { } charge)
            {
                var (_, paid) = await CompleteAsync(current, charge, cancellationToken);
                return (CancelOutcome.NotReserved, paid ?? current);
            }
            cancelled = await TryCancelAsync(orderId, userId, attemptPassed: true, cancellationToken);
            if (cancelled is null)
            {
                return (CancelOutcome.PaymentInProgress, current);
            }
        }
        await returns.ReturnAsync(cancelled.FlashSaleId, cancelled.Id, cancelled.UserId, cancelled.Quantity, cancellationToken);
        return (CancelOutcome.Cancelled, cancelled);
    }

    private async Task<Order?> TryCancelAsync(Guid orderId, Guid userId, bool attemptPassed, CancellationToken cancellationToken)
    {
        var attempt = attemptPassed ? "pay_started_at <= now() - make_interval(secs => @grace)" : "pay_started_at is null";
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"""
            with cancelled as (
                update orders set status = 'cancelled', updated_at = now()
                where id = @orderId and user_id = @userId and status = 'reserved' and {attempt}
                returning {OrderStore.Columns}
            ), ledger as (
                insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                select flash_sale_id, id, 'cancelled', quantity, now() from cancelled
            ){notices.After("cancelled", NotificationKinds.Cancelled)}
            select {OrderStore.Columns} from cancelled
            """, new { orderId, userId, grace = GraceSeconds }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Expires up to <paramref name="limit"/> reserved orders past their deadline and returns their units (one batch
    /// of returns). Safe with several hosts, or several batches of one host, sweeping at once: rows are claimed with
    /// SKIP LOCKED. Orders whose payment started are left to <see cref="SettleOverdueAttemptsAsync"/>, which the sweep
    /// runs first. Reads only the partial index of reserved orders, however long the order history is.
    /// </summary>
    public async Task<int> ExpireDueAsync(int limit, CancellationToken cancellationToken)
    {
        List<Order> expired;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            expired = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                with due as (
                    select id from orders where status = 'reserved' and expires_at <= now() and pay_started_at is null
                    order by expires_at limit @limit for update skip locked
                ), expired as (
                    update orders o set status = 'expired', updated_at = now() from due where o.id = due.id
                    returning {ReturnedColumns}
                ), ledger as (
                    insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                    select flash_sale_id, id, 'expired', quantity, now() from expired
                ){notices.After("expired", NotificationKinds.Expired)}
                select {OrderStore.Columns} from expired
                """, new { limit }, cancellationToken: cancellationToken))).AsList();
        }
        await returns.ReturnManyAsync(expired, cancellationToken);
        return expired.Count;
    }

    /// <summary>
    /// Reserved orders past their deadline whose payment attempt is older than the grace (up to <paramref name="limit"/>):
    /// asks the gateway. A charged one is paid; the others lose the mark, so the expiry that follows takes them.
    /// </summary>
    public async Task SettleOverdueAttemptsAsync(int limit, CancellationToken cancellationToken)
    {
        List<Order> attempted;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            attempted = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                select {OrderStore.Columns} from orders
                where status = 'reserved' and expires_at <= now() and pay_started_at <= now() - make_interval(secs => @grace)
                order by expires_at limit @limit
                """, new { limit, grace = GraceSeconds }, cancellationToken: cancellationToken))).AsList();
        }
        if (attempted.Count == 0)
        {
            return;
        }
        var uncharged = new List<Guid>();
        foreach (var order in attempted)
        {
            if (await gateway.FindChargeAsync(order.Id, cancellationToken) is { } charge)
            {
                await CompleteAsync(order, charge, cancellationToken);
            }
            else
            {
                uncharged.Add(order.Id);
            }
        }
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            // Only an attempt that is still the one asked about (still past its grace) loses its mark.
            await connection.ExecuteAsync(new CommandDefinition(
                """
                update orders set pay_started_at = null
                where id = any(@ids) and status = 'reserved' and pay_started_at <= now() - make_interval(secs => @grace)
                """, new { ids = uncharged.ToArray(), grace = GraceSeconds }, cancellationToken: cancellationToken));
        }
    }

    private static string OutcomeName(PaymentOutcome outcome) => outcome switch
    {
        PaymentOutcome.Approved => "approved",
        PaymentOutcome.Declined => "declined",
        _ => "insufficient_funds",
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Order {OrderId} was charged but is {Status}: the charge needs a refund")]
    private static partial void LogChargedButEnded(ILogger logger, Guid orderId, string status);
}
