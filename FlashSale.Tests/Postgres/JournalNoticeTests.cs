using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Postgres;

/// <summary>
/// Issue 16: the journal's commit writes only the orders; a feed pass (<see cref="ReservationNoticeFeed"/>) queues one
/// pending "reserved" notice per order committed since its watermark — by both of the journal's ways, never a second
/// one for a replayed order or a second pass, and never jumping over an order whose transaction commits after a
/// later one's.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class JournalNoticeTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private async Task<List<(string Kind, Guid UserId, Guid SubjectId, string State)>> NoticesAsync(Guid saleId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string, Guid, Guid, string)>(
            """
            select n.kind, n.user_id, n.subject_id, n.state from notification_outbox n join orders o on o.id = n.subject_id
            where o.flash_sale_id = @saleId order by n.subject_id
            """, new { saleId })).AsList();
    }

    private static List<(string, Guid, Guid, string)> Reserved(IEnumerable<AcceptedOrder> orders) =>
        orders.OrderBy(o => o.OrderId).Select(o => ("reserved", o.UserId, o.OrderId, "pending")).ToList();

    /// <summary>One feed pass (waiting while another holds the watermark, which no other feeder of this database does).</summary>
    private async Task FeedAsync()
    {
        while (await ReservationNoticeFeed.FeedOnceAsync(database.DataSource, CancellationToken.None) is null)
        {
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// Feed passes until the sale has <paramref name="count"/> notices, then one more (which must add none). A pass only
    /// goes up to the oldest transaction still open on the whole server, and other tests share the server: a pass may
    /// leave the newest orders to a later one.
    /// </summary>
    private async Task<List<(string Kind, Guid UserId, Guid SubjectId, string State)>> FeedUntilAsync(Guid saleId, int count)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await NoticesAsync(saleId)).Count < count)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the feed never queued them");
            await FeedAsync();
        }
        await FeedAsync();
        return await NoticesAsync(saleId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_commit_writes_no_notice_and_a_feed_pass_queues_one_per_new_order_and_none_for_a_replay(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 20).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        var later = Enumerable.Range(0, 3).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();

        await journal.CommitAsync(orders, CancellationToken.None);
        Assert.Empty(await NoticesAsync(sale)); // the purchase's commit wrote the orders only
        Assert.Equal(Reserved(orders), await FeedUntilAsync(sale, orders.Length));
        await journal.CommitAsync(orders, CancellationToken.None);
        await journal.CommitAsync(orders.Concat(later).ToArray(), CancellationToken.None); // replays and new orders in one commit

        Assert.Equal(Reserved(orders.Concat(later)), await FeedUntilAsync(sale, orders.Length + later.Length));
    }

    [Fact]
    public async Task A_failed_commit_between_commits_leaves_neither_orders_nor_notices()
    {
        // One writer, so every commit reuses the connection whose transaction the previous commit ended.
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var sale = Guid.NewGuid();
        var first = Enumerable.Range(0, 10).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        var failed = new[] { PostgresOrderJournalTests.Order(sale), PostgresOrderJournalTests.Order(sale, quantity: 0) };
        var last = Enumerable.Range(0, 10).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();

        await journal.CommitAsync(first, CancellationToken.None);
        await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await journal.CommitAsync(failed, CancellationToken.None));
        for (var i = 0; i < last.Length; i++)
        {
            await journal.CommitAsync(last.AsMemory(i, 1), CancellationToken.None);
        }

        Assert.Equal(Reserved(first.Concat(last)), await FeedUntilAsync(sale, first.Length + last.Length));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(20, await connection.ExecuteScalarAsync<int>("select count(*)::int from orders where flash_sale_id = @sale", new { sale }));
        Assert.Equal(0, journal.StagedCommits);
    }

    [Fact]
    public async Task An_order_whose_notice_was_queued_another_way_first_keeps_that_one_notice()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 3).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        await journal.CommitAsync(orders, CancellationToken.None);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            // What pay does when it comes before the feed (OrderNotices): the reserved notice ahead of its own.
            await connection.ExecuteAsync("insert into notification_outbox (kind, user_id, subject_id) values ('reserved', @UserId, @OrderId)", new { orders[1].UserId, orders[1].OrderId });
        }


        Assert.Equal(Reserved(orders), await FeedUntilAsync(sale, orders.Length));
        Assert.Equal(0, journal.StagedCommits); // the commit met no notice: it writes none
    }

    /// <summary>
    /// An order that is no longer waiting for its payment when the feed reaches it (paid or cancelled already, or past
    /// its deadline) gets no "reserved" notice: telling the shopper to pay by a time that has passed, or for an order
    /// already paid, is wrong. It happens when notifications are turned back on after a while off (the feed then
    /// reaches every order made meanwhile) or when the feed was held back by a long-open transaction.
    /// </summary>
    [Fact]
    public async Task An_order_no_longer_awaiting_payment_when_the_feed_reaches_it_gets_no_reserved_notice()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 3).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        await journal.CommitAsync(orders, CancellationToken.None);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set status = 'paid' where id = @OrderId", new { orders[1].OrderId });
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 minute' where id = @OrderId", new { orders[2].OrderId });
        }

        Assert.Equal(Reserved([orders[0]]), await FeedUntilAsync(sale, 1));
    }

    /// <summary>
    /// The case a watermark on ids gets wrong: transaction A takes its id (and inserts its order) first, B commits
    /// after it, a feed pass runs while A is still open, then A commits. A watermark moved past B by that pass would
    /// jump over A's order for ever; the feed's only moves below every transaction still open, so A's order is queued
    /// by the pass after A's commit, and B's is queued once.
    /// </summary>
    [Fact]
    public async Task An_order_committed_after_a_later_transaction_and_after_a_feed_pass_is_still_queued_once()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var sale = Guid.NewGuid();
        var early = PostgresOrderJournalTests.Order(sale);
        var late = PostgresOrderJournalTests.Order(sale);
        await using var open = await database.DataSource.OpenConnectionAsync();
        await using (var transaction = await open.BeginTransactionAsync())
        {
            await open.ExecuteAsync(
                """
                insert into orders (id, flash_sale_id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at)
                values (@OrderId, @SaleId, @UserId, 1, 19.99, 19.99, 'reserved', @IdempotencyKey, now(), now() + interval '10 minutes', now())
                """, new { early.OrderId, early.SaleId, early.UserId, early.IdempotencyKey }, transaction);
            await journal.CommitAsync(new[] { late }, CancellationToken.None);
            await FeedAsync();
            Assert.Empty(await NoticesAsync(sale)); // held back below the open transaction: not even the later order yet

            await transaction.CommitAsync();
        }

        Assert.Equal(Reserved([early, late]), await FeedUntilAsync(sale, 2));
    }
}
