using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Tests.Infrastructure;
using static FlashSale.Tests.Postgres.PostgresOrderJournalTests;

namespace FlashSale.Tests.Postgres;

/// <summary>What the journal refuses to answer as committed: stale epochs, foreign conflicts, and one sale's bad rows.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class JournalFenceTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private async Task<long> CountAsync(Guid sale)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @sale", new { sale });
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_same_shoppers_key_under_another_order_id_fails_the_batch_instead_of_answering_for_a_row_it_did_not_write(bool directCopy)
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { DirectCopy = directCopy, Writers = 1 });
        var sale = Guid.NewGuid();
        var first = Order(sale);
        await journal.CommitAsync(new[] { first }, CancellationToken.None);
        // A second order id for the same (shopper, sale, Idempotency-Key), with a replay of the first in the same batch so
        // the commit goes the staging way: ON CONFLICT without a target used to swallow it and answer success.
        var second = first with { OrderId = Guid.CreateVersion7() };

        await Assert.ThrowsAsync<Npgsql.PostgresException>(async () => await journal.CommitAsync(new[] { first, second }, CancellationToken.None));

        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal([first.OrderId], await connection.QueryAsync<Guid>("select id from orders where flash_sale_id = @sale", new { sale }));
    }

    [Fact]
    public async Task An_order_id_held_by_another_shoppers_row_fails_the_batch()
    {
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });
        var sale = Guid.NewGuid();
        var first = Order(sale);
        await journal.CommitAsync(new[] { first }, CancellationToken.None);

        await Assert.ThrowsAsync<OrderConflictException>(async () =>
            await journal.CommitAsync(new[] { Order(sale) with { OrderId = first.OrderId } }, CancellationToken.None));
    }

    [Fact]
    public async Task Orders_decided_under_an_older_epoch_fail_and_orders_of_the_current_epoch_commit()
    {
        var sale = new SaleDefinition(Guid.CreateVersion7(), 1_000, 10, 2, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), 600, false);
        await SaleRows.InsertAsync(database.DataSource, sale);
        var reader = new PostgresSaleStateReader(database.DataSource);
        var first = await reader.BeginRebuildAsync(sale.SaleId, CancellationToken.None);
        var second = await reader.BeginRebuildAsync(sale.SaleId, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions { Writers = 1 });

        var stale = await Assert.ThrowsAsync<SaleEpochMovedException>(async () =>
            await journal.CommitAsync(new[] { Order(sale.SaleId) with { SaleEpoch = first.Epoch } }, CancellationToken.None));
        await journal.CommitAsync(new[] { Order(sale.SaleId) with { SaleEpoch = second.Epoch } }, CancellationToken.None);

        Assert.Equal((1, 2), (first.Epoch, second.Epoch));
        Assert.Equal(sale.SaleId, stale.SaleId);
        Assert.Equal(1, await CountAsync(sale.SaleId));
    }

    [Fact]
    public async Task A_rebuild_waits_for_a_commit_holding_the_sale_and_reads_its_orders()
    {
        var sale = new SaleDefinition(Guid.CreateVersion7(), 1_000, 10, 2, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(1), 600, false);
        await SaleRows.InsertAsync(database.DataSource, sale);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var commit = await connection.BeginTransactionAsync();
        // What the journal's transaction does first: hold the sale's row for its commit.
        await connection.ExecuteAsync("select epoch from flash_sales where id = @id for key share", new { id = sale.SaleId }, commit);
        var order = Order(sale.SaleId);
        await connection.ExecuteAsync(
            "insert into orders (id, flash_sale_id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at) " +
            "values (@OrderId, @SaleId, @UserId, 1, 10, 10, 'reserved', @IdempotencyKey, now(), now(), now())", order, commit);

        var rebuild = new PostgresSaleStateReader(database.DataSource).BeginRebuildAsync(sale.SaleId, CancellationToken.None);
        await Task.Delay(300);
        Assert.False(rebuild.IsCompleted); // waiting for the commit in flight
        await commit.CommitAsync();

        var snapshot = await rebuild;
        Assert.Equal([order.OrderId], snapshot.Orders.Select(o => o.OrderId));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_sale_whose_orders_the_table_refuses_fails_alone_and_the_other_sales_in_the_same_group_commit_land(bool directCopy)
    {
        // Linger gathers both batches into one transaction, as a busy journal would.
        await using var journal = new PostgresOrderJournal(database.DataSource, new PostgresOrderJournalOptions
        {
            DirectCopy = directCopy, Writers = 1, Linger = TimeSpan.FromMilliseconds(300), LingerBelowRows = 1_000,
        });
        var healthy = Guid.NewGuid();
        var overflowing = Guid.NewGuid();
        // 9,000,000,000.00 × 2 does not fit total_price numeric(12,2).
        var tooDear = Order(overflowing, quantity: 2, priceCents: 900_000_000_000);

        var good = journal.CommitAsync(new[] { Order(healthy), Order(healthy) }, CancellationToken.None).AsTask();
        var bad = journal.CommitAsync(new[] { tooDear }, CancellationToken.None).AsTask();
        var later = journal.CommitAsync(new[] { Order(healthy) }, CancellationToken.None).AsTask();

        await good;
        await later;
        var failure = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => bad);
        Assert.StartsWith("22", failure.SqlState, StringComparison.Ordinal);
        Assert.Equal(3, await CountAsync(healthy));
        Assert.Equal(0, await CountAsync(overflowing));
        Assert.True(journal.IsolatedCommits >= 1);
    }
}
