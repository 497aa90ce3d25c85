using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Postgres;

[Trait("Category", TestCategory.Integration)]
public sealed class PostgresOrderJournalTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    internal static AcceptedOrder Order(Guid saleId, int quantity = 1, long priceCents = 1999, Guid? user = null)
    {
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        return new AcceptedOrder(Guid.CreateVersion7(), saleId, user ?? Guid.NewGuid(), quantity, priceCents,
            Guid.NewGuid().ToString("N"), created, created + 600_000);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_committed_batch_is_in_postgres_as_reserved_orders_with_prices_and_times(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy });
        var sale = Guid.NewGuid();
        var orders = new[] { Order(sale, 2, 1999), Order(sale, 1, 5) };

        await journal.CommitAsync(orders, CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(Guid Id, Guid UserId, int Quantity, decimal UnitPrice, decimal TotalPrice, string Status, string Key, DateTime CreatedAt, DateTime ExpiresAt, DateTime UpdatedAt)>(
            "select id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at from orders where flash_sale_id = @sale order by id",
            new { sale })).ToList();
        Assert.Equal(2, rows.Count);
        var first = rows.Single(r => r.Id == orders[0].OrderId);
        Assert.Equal(orders[0].UserId, first.UserId);
        Assert.Equal(2, first.Quantity);
        Assert.Equal(19.99m, first.UnitPrice);
        Assert.Equal(39.98m, first.TotalPrice);
        Assert.Equal("reserved", first.Status);
        Assert.Equal(orders[0].IdempotencyKey, first.Key);
        Assert.Equal(orders[0].CreatedAtUnixMs, new DateTimeOffset(first.CreatedAt, TimeSpan.Zero).ToUnixTimeMilliseconds());
        Assert.Equal(orders[0].ExpiresAtUnixMs, new DateTimeOffset(first.ExpiresAt, TimeSpan.Zero).ToUnixTimeMilliseconds());
        Assert.Equal(first.CreatedAt, first.UpdatedAt);
        Assert.Equal(0.05m, rows.Single(r => r.Id == orders[1].OrderId).UnitPrice);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Committing_the_same_orders_again_is_a_no_op_and_writes_only_order_rows(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 50).Select(_ => Order(sale, 3)).ToArray();
        var later = Enumerable.Range(0, 5).Select(_ => Order(sale, 3)).ToArray();

        await journal.CommitAsync(orders, CancellationToken.None);
        await journal.CommitAsync(orders, CancellationToken.None);
        await journal.CommitAsync(orders.Concat(orders).Concat(later).ToArray(), CancellationToken.None); // duplicates and new ones in one commit

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(55, await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @sale", new { sale }));
        Assert.Equal(orders.Concat(later).Select(o => o.OrderId).Order(),
            (await connection.QueryAsync<Guid>("select id from orders where flash_sale_id = @sale", new { sale })).Order());
        // The reservation is the order row: the ledger only records what happens to the units afterwards.
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from inventory_ledger where flash_sale_id = @sale", new { sale }));
        Assert.Equal(55, journal.InsertedOrders);
    }

    [Fact]
    public async Task The_same_orders_committed_by_many_concurrent_callers_land_once_each()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 2 });
        var sale = Guid.NewGuid();
        var orders = Enumerable.Range(0, 500).Select(_ => Order(sale)).ToArray();

        await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => Task.Run(async () => await journal.CommitAsync(orders, CancellationToken.None))));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(500, await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @sale", new { sale }));
        Assert.Equal(500, journal.InsertedOrders);
    }

    [Fact]
    public async Task The_lookup_tells_which_orders_are_already_committed()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var committed = Order(Guid.NewGuid());
        await journal.CommitAsync(new[] { committed }, CancellationToken.None);

        var present = await journal.FindExistingAsync([committed.OrderId, Guid.NewGuid()], CancellationToken.None);

        Assert.Equal([committed.OrderId], present);
    }

    [Fact]
    public async Task Many_concurrent_callers_are_group_committed_and_all_complete()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var sale = Guid.NewGuid();
        var batches = Enumerable.Range(0, 200).Select(_ => Enumerable.Range(0, 25).Select(_ => Order(sale)).ToArray()).ToArray();

        await Task.WhenAll(batches.Select(b => Task.Run(async () => await journal.CommitAsync(b, CancellationToken.None))));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(5_000, await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @sale", new { sale }));
        Assert.True(journal.Commits < 200, $"expected fewer commits than batches, got {journal.Commits}");
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_failed_commit_faults_its_waiters_and_the_journal_keeps_working(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy, Writers = 1 });
        var sale = Guid.NewGuid();
        var bad = Order(sale, quantity: 0); // violates the quantity check: the whole transaction fails

        await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await journal.CommitAsync(new[] { Order(sale), bad }, CancellationToken.None));
        await journal.CommitAsync(new[] { Order(sale) }, CancellationToken.None);

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @sale", new { sale }));
    }

    [Fact]
    public async Task A_cancelled_token_refuses_before_queueing()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await journal.CommitAsync(new[] { Order(Guid.NewGuid()) }, cancelled.Token));
    }
}
