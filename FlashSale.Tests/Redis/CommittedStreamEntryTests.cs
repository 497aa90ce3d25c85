using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Testing.Engine;
using FlashSale.Tests.Engine;
using FlashSale.Tests.Infrastructure;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

/// <summary>
/// After the engine's journal commits a batch, the stream entries that batch appended are deleted, so the reconciler
/// reads only what a failed or interrupted commit left behind; an entry whose delete was lost is still written once.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class CommittedStreamEntryTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{

    /// <summary>Order rows and the units they reserve (the order row is the reservation).</summary>
    private async Task<(long Orders, long Units)> CountAsync(Guid saleId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(long, long)>(
            "select count(*), coalesce(sum(quantity), 0)::bigint from orders where flash_sale_id = @saleId", new { saleId });
    }

    /// <summary>Buys through a real engine, then disposes it: its loop (the commit and what follows) has finished.</summary>
    private static async Task<PurchaseDecision[]> BuyThroughEngineAsync(SaleDefinition sale, IStockAuthority authority, IOrderJournal journal,
        params PurchaseRequest[] requests)
    {
        var engine = new SaleEngine(sale, authority, journal, EngineTestKit.Options());
        await using (engine)
        {
            return await Task.WhenAll(requests.Select(r => engine.SubmitAsync(r).AsTask()));
        }
    }

    [Fact]
    public async Task The_stream_entries_of_a_committed_batch_are_deleted_and_the_next_reconcile_pass_reads_nothing()
    {
        var sale = redis.NewSale(stock: 100, perUserLimit: 5);
        var options = redis.PrivateOptions();
        var authority = redis.Authority(database.DataSource, options: options);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);

        var decisions = await BuyThroughEngineAsync(sale, authority, journal,
            [.. Enumerable.Range(0, 20).Select(_ => Request(sale, Guid.NewGuid(), 2))]);

        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Equal(0, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        Assert.Equal((20, 40), await CountAsync(sale.SaleId));
        var pass = await new OrderStreamReconciler(redis.Multiplexer, journal, options).ReconcileOnceAsync(CancellationToken.None);
        Assert.Equal((0, 0), (pass.EntriesCommitted, pass.EntriesTrimmed));
    }

    [Fact]
    public async Task Only_the_committed_batchs_entries_are_deleted_not_an_uncommitted_entry_appended_before_them()
    {
        var sale = redis.NewSale(stock: 100, perUserLimit: 5);
        var authority = redis.Authority(database.DataSource);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        // Another host's batch: accepted by Redis, its commit failed, so its entry must stay for the reconciler.
        var uncommitted = await BuyThroughEngineAsync(sale, authority, new FailingJournal(), Request(sale, Guid.NewGuid()));
        Assert.Equal(PurchaseStatus.Unavailable, uncommitted[0].Status);
        await using var journal = new PostgresOrderJournal(database.DataSource);

        await BuyThroughEngineAsync(sale, authority, journal, Request(sale, Guid.NewGuid()), Request(sale, Guid.NewGuid()));

        var left = await redis.Database.StreamRangeAsync(RedisSaleKeys.For(sale.SaleId).Orders);
        Assert.Single(left);
        Assert.Equal((2, 2), await CountAsync(sale.SaleId));
    }

    [Fact]
    public async Task An_order_whose_stream_entry_delete_was_lost_is_reconciled_exactly_once()
    {
        var sale = redis.NewSale(stock: 100, perUserLimit: 5);
        var options = redis.PrivateOptions();
        var inner = redis.Authority(database.DataSource, options: options);
        await inner.EnsureInitializedAsync(sale, CancellationToken.None);
        var authority = new ObservedAuthority(inner) { DropCommittedNotices = true };
        await using var journal = new PostgresOrderJournal(database.DataSource);

        var decisions = await BuyThroughEngineAsync(sale, authority, journal, Request(sale, Guid.NewGuid(), 2), Request(sale, Guid.NewGuid()));
        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Equal(2, authority.CommittedNotices);
        Assert.Equal(2, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));

        var reconciler = new OrderStreamReconciler(redis.Multiplexer, journal, options);
        var first = await reconciler.ReconcileOnceAsync(CancellationToken.None);
        var second = await reconciler.ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal((0, 2), (first.EntriesCommitted, first.EntriesTrimmed)); // already in PostgreSQL: skipped, then trimmed
        Assert.Equal((0, 0), (second.EntriesCommitted, second.EntriesTrimmed));
        Assert.Equal(0, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        Assert.Equal((2, 3), await CountAsync(sale.SaleId));
    }
}
