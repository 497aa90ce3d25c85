using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Testing.Engine;
using FlashSale.Tests.Engine;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Postgres;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

/// <summary>
/// A sale whose epoch moved in PostgreSQL after the reconciler read its stream (another host rebuilt it, or a second
/// deployment shares the Redis) fences the replay of that sale only: the pass goes on with the other sales and leaves the
/// fenced sale's entries for the pass after the rebuild, instead of throwing out of the pass (which stopped the host).
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReconcilerFencedSaleTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{
    private async Task<SaleDefinition> SaleWithAnUncommittedOrderAsync(FlashSaleRedisOptions options)
    {
        var sale = redis.NewSale(stock: 10, perUserLimit: 2);
        await SaleRows.InsertAsync(database.DataSource, sale);
        var authority = redis.Authority(database.DataSource, options: options);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        // Accepted by Redis, its commit failed: the entry stays in the stream for the reconciler.
        var engine = new SaleEngine(sale, authority, new FailingJournal(), EngineTestKit.Options());
        await using (engine)
        {
            var decision = await engine.SubmitAsync(Request(sale, Guid.NewGuid()));
            Assert.Equal(PurchaseStatus.Unavailable, decision.Status);
        }
        Assert.Equal(1, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        return sale;
    }

    [Fact]
    public async Task A_sale_fenced_by_a_moved_epoch_is_skipped_and_the_pass_still_writes_the_other_sales_orders()
    {
        var options = redis.PrivateOptions();
        var fenced = await SaleWithAnUncommittedOrderAsync(options);
        var healthy = await SaleWithAnUncommittedOrderAsync(options);
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update flash_sales set epoch = epoch + 7 where id = @id", new { id = fenced.SaleId });
        }
        await using var journal = new PostgresOrderJournal(database.DataSource);

        var pass = await new OrderStreamReconciler(redis.Multiplexer, journal, options).ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal((2, 1, 1), (pass.Sales, pass.SalesFenced, pass.EntriesCommitted));
        Assert.Equal(1, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(fenced.SaleId).Orders));
        Assert.Equal(0, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(healthy.SaleId).Orders));
        await using var check = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await check.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @id", new { id = fenced.SaleId }));
        Assert.Equal(1, await check.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @id", new { id = healthy.SaleId }));
    }
}
