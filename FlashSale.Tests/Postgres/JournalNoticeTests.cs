using Dapper;
using FlashSale.Engine.Postgres;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Postgres;

/// <summary>
/// Issue 16: the journal writes each new order's "reserved" outbox row in the commit of the order, by both of its
/// ways (direct COPY and the staging insert), never a second one for a replayed order, and none when switched off.
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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Each_new_order_gets_one_pending_reserved_notice_for_its_shopper_and_a_replay_none(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy, ReservationNotices = true });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 20).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        var later = Enumerable.Range(0, 3).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();

        await journal.CommitAsync(orders, CancellationToken.None);
        await journal.CommitAsync(orders, CancellationToken.None);
        await journal.CommitAsync(orders.Concat(later).ToArray(), CancellationToken.None); // replays and new orders in one commit

        var expected = orders.Concat(later).OrderBy(o => o.OrderId).Select(o => ("reserved", o.UserId, o.OrderId, "pending")).ToList();
        Assert.Equal(expected, await NoticesAsync(sale));
    }

    [Fact]
    public async Task Commits_after_commits_on_one_connection_each_write_their_notices_and_a_failed_one_writes_neither_orders_nor_notices()
    {
        // One writer, so every commit reuses the connection whose transaction the previous commit ended.
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1, ReservationNotices = true });
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

        var expected = first.Concat(last).OrderBy(o => o.OrderId).Select(o => ("reserved", o.UserId, o.OrderId, "pending")).ToList();
        Assert.Equal(expected, await NoticesAsync(sale));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(20, await connection.ExecuteScalarAsync<int>("select count(*)::int from orders where flash_sale_id = @sale", new { sale }));
        Assert.Equal(0, journal.StagedCommits);
    }

    [Fact]
    public async Task An_order_whose_notice_is_already_queued_is_committed_with_that_one_notice()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1, ReservationNotices = true });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 3).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray();
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into notification_outbox (kind, user_id, subject_id) values ('reserved', @UserId, @OrderId)", new { orders[1].UserId, orders[1].OrderId });
        }

        await journal.CommitAsync(orders, CancellationToken.None);

        var expected = orders.OrderBy(o => o.OrderId).Select(o => ("reserved", o.UserId, o.OrderId, "pending")).ToList();
        Assert.Equal(expected, await NoticesAsync(sale));
        Assert.Equal(3, journal.InsertedOrders);
        Assert.Equal(1, journal.StagedCommits); // the direct way met the queued notice and the commit went the staging way
    }

    [Fact]
    public async Task With_notices_off_the_journal_writes_only_orders()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { ReservationNotices = false });
        var sale = Guid.NewGuid();

        await journal.CommitAsync(Enumerable.Range(0, 5).Select(_ => PostgresOrderJournalTests.Order(sale)).ToArray(), CancellationToken.None);

        Assert.Empty(await NoticesAsync(sale));
    }
}
