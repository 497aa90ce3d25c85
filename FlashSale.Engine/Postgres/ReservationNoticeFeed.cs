using Npgsql;

namespace FlashSale.Engine.Postgres;

/// <summary>
/// Queues the "reserved" notices (issue 16) from the orders themselves, off the purchase path: the journal's commit
/// writes only the orders, each stamped with its transaction's id (<c>orders.journal_xact</c>, migration 0072), and a
/// pass of this feed inserts the outbox rows of every order whose transaction ended since the durable watermark,
/// then moves the watermark, in ONE transaction:
/// <list type="bullet">
/// <item>exactly once into the outbox: an order is below the watermark once and only once, and the outbox's natural
/// key (<c>on conflict do nothing</c>) covers a notice queued another way first (pay, cancel or expiry write it ahead
/// of their own, <c>OrderNotices</c>);</item>
/// <item>never lost: until a pass commits, the orders row is the durable notice; a host killed mid-pass rolls back
/// both the rows and the watermark;</item>
/// <item>never skipped when commits become visible out of order (two hosts' writers, the reconciler replaying an old
/// order): the watermark moves only to <c>pg_snapshot_xmin</c> of the feeding statement's snapshot, below which every
/// transaction has ended, so each one it passes is either visible to that statement or rolled back. A transaction
/// still open holds the feed back (its orders and every later one wait), never past it.</item>
/// </list>
/// One feeder at a time: the pass locks the watermark row <c>FOR UPDATE SKIP LOCKED</c>, another host's pass finds
/// it taken and does nothing. Outbox rows get the table's defaults (pending, due now); the dispatcher reads the
/// figures from the order when it sends. The host's migrations 0070 and 0072 own the tables.
/// </summary>
public static class ReservationNoticeFeed
{
    public const string Kind = "reserved";

    private const string Lock = $"select watermark from notification_feeds where name = '{Kind}' for update skip locked";

    // order by id: the notices are queued in purchase order (order ids are UUIDv7), so they go out in that order.
    // Only orders still awaiting payment: one paid, cancelled or past its deadline by the time the feed reaches it
    // (notifications turned back on after a while off, a feed held back by a long-open transaction) must not be told
    // "pay by …". Its later notices are the pay/cancel/expiry statements' own, which queue "reserved" ahead of theirs
    // whenever the feed had not reached the order yet (OrderNotices), so nothing owed is skipped.
    private const string Feed =
        $"""
        with horizon as (select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as h),
        fed as (
            insert into notification_outbox (kind, user_id, subject_id)
            select '{Kind}', o.user_id, o.id from orders o, horizon
            where o.journal_xact >= $1 and o.journal_xact < horizon.h
              and o.status = 'reserved' and o.expires_at > now()
            order by o.id
            on conflict do nothing
            returning 1
        ),
        moved as (update notification_feeds set watermark = greatest(watermark, (select h from horizon)) where name = '{Kind}')
        select count(*)::int from fed
        """;

    /// <summary>
    /// One pass: queues the notices of the orders committed since the watermark and moves it. Returns how many it
    /// queued, or null when another feeder holds the watermark (nothing done).
    /// </summary>
    public static async Task<int?> FeedOnceAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long watermark;
        await using (var locking = new NpgsqlCommand(Lock, connection, transaction))
        {
            if (await locking.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not long held)
            {
                return null;
            }
            watermark = held;
        }
        int queued;
        await using (var feed = new NpgsqlCommand(Feed, connection, transaction))
        {
            feed.Parameters.Add(new NpgsqlParameter<long> { TypedValue = watermark });
            queued = (int)(await feed.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return queued;
    }
}
