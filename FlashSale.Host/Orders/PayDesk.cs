using Dapper;
using FlashSale.Host.Infrastructure.Persistence;
using FlashSale.Host.Notifications;
using FlashSale.Host.Orders.Payments;
using Npgsql;

namespace FlashSale.Host.Orders;

/// <summary>
/// The two statements of a payment, batched across the host's concurrent payments (<see cref="StatementBatcher{TAsk,TAnswer}"/>):
/// marking the attempt and recording the approved charge each run as one multi-row statement and one commit for
/// every payment queued at that moment, instead of two single-row transactions per payment.
/// <para>
/// Both statements lock their orders in id order before changing them, so two batches that share orders (a retried
/// payment reaching two hosts) wait for each other instead of deadlocking. An order appears once per statement:
/// asks repeating one are answered from the same row (marking) or left to the caller's fallback (recording: only the
/// first records the payment, the others find it paid).
/// </para>
/// </summary>
public sealed class PayDesk : IDisposable
{
    /// <summary>Orders per statement: large enough for a rush's payments of one tick, small enough to stay one quick round trip.</summary>
    private const int MaxBatch = 256;

    private const int MaxQueued = 20_000;

    private static readonly string ReturnedColumns = "o." + OrderStore.Columns.Replace(", ", ", o.", StringComparison.Ordinal);

    private readonly NpgsqlDataSource _db;
    private readonly OrderNotices _notices;
    private readonly StatementBatcher<(Guid OrderId, Guid UserId), Order?> _marks;
    private readonly StatementBatcher<GatewayCharge, Order?> _completions;

    public PayDesk(NpgsqlDataSource db, OrderNotices notices)
    {
        _db = db;
        _notices = notices;
        _marks = new(MaxBatch, MaxQueued, MarkManyAsync);
        _completions = new(MaxBatch, MaxQueued, CompleteManyAsync);
    }

    /// <summary>
    /// Marks a payment attempt on the order of <paramref name="userId"/> when it is reserved and inside its deadline;
    /// the order as marked, or null when it is not (someone else's, missing, ended or past its deadline).
    /// </summary>
    public Task<Order?> MarkAsync(Guid orderId, Guid userId, CancellationToken cancellationToken) =>
        _marks.AskAsync((orderId, userId), cancellationToken);

    /// <summary>
    /// Records an approved charge: the payment, the status and the ledger row (and the "paid" notice), conditional on
    /// the order still being reserved; the paid order, or null when it was not reserved any more.
    /// </summary>
    public Task<Order?> CompleteAsync(GatewayCharge charge, CancellationToken cancellationToken) =>
        _completions.AskAsync(charge, cancellationToken);

    private async Task<Order?[]> MarkManyAsync(IReadOnlyList<(Guid OrderId, Guid UserId)> asks, CancellationToken cancellationToken)
    {
        var orderIds = new Guid[asks.Count];
        var userIds = new Guid[asks.Count];
        for (var i = 0; i < asks.Count; i++)
        {
            (orderIds[i], userIds[i]) = asks[i];
        }
        Dictionary<Guid, Order> marked;
        await using (var connection = await _db.OpenConnectionAsync(cancellationToken))
        {
            // "distinct" so an order asked for twice in one batch is one row to lock and update.
            marked = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                with asked as (
                    select distinct order_id, user_id from unnest(@orderIds, @userIds) as a(order_id, user_id)
                ), locked as materialized (
                    select o.id from orders o join asked a on a.order_id = o.id and a.user_id = o.user_id
                    where o.status = 'reserved' and o.expires_at > now()
                    order by o.id for update of o
                )
                update orders o set pay_started_at = now() from locked l where o.id = l.id
                returning {ReturnedColumns}
                """, new { orderIds, userIds }, cancellationToken: cancellationToken))).ToDictionary(o => o.Id);
        }
        var answers = new Order?[asks.Count];
        for (var i = 0; i < asks.Count; i++)
        {
            answers[i] = marked.TryGetValue(asks[i].OrderId, out var order) && order.UserId == asks[i].UserId ? order : null;
        }
        return answers;
    }

    private async Task<Order?[]> CompleteManyAsync(IReadOnlyList<GatewayCharge> charges, CancellationToken cancellationToken)
    {
        // The first charge of each order records it; a repeat in the same batch gets null and finds the order paid.
        var first = new Dictionary<Guid, int>(charges.Count);
        for (var i = 0; i < charges.Count; i++)
        {
            first.TryAdd(charges[i].OrderId, i);
        }
        var orderIds = new Guid[first.Count];
        var paymentIds = new Guid[first.Count];
        var amounts = new decimal[first.Count];
        var last4s = new string[first.Count];
        var n = 0;
        foreach (var index in first.Values)
        {
            var charge = charges[index];
            (orderIds[n], paymentIds[n], amounts[n], last4s[n]) = (charge.OrderId, Guid.CreateVersion7(), charge.Amount, charge.CardLast4);
            n++;
        }
        Dictionary<Guid, Order> paid;
        await using (var connection = await _db.OpenConnectionAsync(cancellationToken))
        {
            paid = (await connection.QueryAsync<Order>(new CommandDefinition(
                $"""
                with asked as (
                    select * from unnest(@orderIds, @paymentIds, @amounts, @last4s) as a(order_id, payment_id, amount, last4)
                ), locked as materialized (
                    select o.id from orders o join asked a on a.order_id = o.id
                    where o.status = 'reserved'
                    order by o.id for update of o
                ), paid as (
                    update orders o set status = 'paid', updated_at = now(), pay_started_at = null
                    from locked l where o.id = l.id
                    returning {ReturnedColumns}
                ), payment as (
                    insert into payments (id, order_id, amount, outcome, card_last4, created_at)
                    select a.payment_id, p.id, a.amount, 'approved', a.last4, now() from paid p join asked a on a.order_id = p.id
                ), ledger as (
                    insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
                    select flash_sale_id, id, 'paid', quantity, now() from paid
                ){_notices.After("paid", NotificationKinds.Paid)}
                select {OrderStore.Columns} from paid
                """, new { orderIds, paymentIds, amounts, last4s }, cancellationToken: cancellationToken))).ToDictionary(o => o.Id);
        }
        var answers = new Order?[charges.Count];
        foreach (var (orderId, index) in first)
        {
            answers[index] = paid.GetValueOrDefault(orderId);
        }
        return answers;
    }

    public void Dispose()
    {
        _marks.Dispose();
        _completions.Dispose();
    }
}
