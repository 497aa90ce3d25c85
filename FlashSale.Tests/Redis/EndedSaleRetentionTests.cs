using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Testing.Engine;
using FlashSale.Tests.Engine;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

/// <summary>
/// The reconciler as janitor: an ended sale's Redis state is removed past its retention, only once every order of its
/// stream is in PostgreSQL; what still touches the sale afterwards (returns, retries) changes nothing and fails nothing.
/// The host's clock is a <see cref="FakeTimeProvider"/> moved past the sale's end and its retention (purchases are decided
/// on Redis' clock, during the sale).
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class EndedSaleRetentionTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{
    private static readonly TimeSpan Retention = TimeSpan.FromDays(1);

    /// <summary>
    /// A sale open now (purchases are decided on Redis' clock), its options (private sales set) and the host's clock,
    /// which the janitor and the retention follow, at the sale's end.
    /// </summary>
    private (SaleDefinition Sale, FlashSaleRedisOptions Options, FakeTimeProvider Time, RedisStockAuthority Authority) EndedSale(int stock = 10)
    {
        var now = DateTimeOffset.UtcNow;
        var sale = redis.NewSale(stock: stock, perUserLimit: 5, startsAt: now.AddHours(-1), endsAt: now.AddHours(1));
        var options = redis.PrivateOptions() with { EndedSaleRetention = Retention };
        var time = new FakeTimeProvider(sale.EndsAt);
        return (sale, options, time, new RedisStockAuthority(redis.Multiplexer, new PostgresSaleStateReader(database.DataSource), options, time));
    }

    private static long DuringSale(SaleDefinition sale) => sale.StartsAt.AddMinutes(1).ToUnixTimeMilliseconds();

    private static async Task<(PurchaseRequest Request, PurchaseDecision Decision)> BuyAsync(RedisStockAuthority authority, SaleDefinition sale,
        PostgresOrderJournal? journal, int quantity = 1)
    {
        var request = Request(sale, Guid.NewGuid(), quantity);
        var decision = (await authority.DecideAsync(sale, DuringSale(sale), request))[0];
        Assert.Equal(PurchaseStatus.Accepted, decision.Status);
        if (journal is not null)
        {
            await journal.CommitAsync(new[] { request.ToOrder(decision, sale) }, CancellationToken.None);
        }
        return (request, decision);
    }

    private async Task<long> CountOrdersAsync(Guid saleId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @saleId", new { saleId });
    }

    private async Task<List<string>> ExistingKeysAsync(Guid saleId)
    {
        var existing = new List<string>();
        foreach (var key in RedisSaleKeys.For(saleId).All)
        {
            if (await redis.Database.KeyExistsAsync(key))
            {
                existing.Add(key.ToString());
            }
        }
        return existing;
    }

    private Task<bool> IsRegisteredAsync(FlashSaleRedisOptions options, SaleDefinition sale) =>
        redis.Database.SetContainsAsync(options.SalesSetKey, sale.SaleId.ToString("D"));

    private Task<ReconcileResult> ReconcileAsync(FlashSaleRedisOptions options, TimeProvider time, IOrderJournal journal) =>
        new OrderStreamReconciler(redis.Multiplexer, journal, options, time).ReconcileOnceAsync(CancellationToken.None);

    [Fact]
    public async Task An_ended_sale_past_its_retention_loses_every_redis_key_and_leaves_the_sales_set()
    {
        var (sale, options, time, authority) = EndedSale();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var kept = await BuyAsync(authority, sale, journal, 2);
        var returned = await BuyAsync(authority, sale, journal);
        Assert.True(await authority.ReturnUnitsAsync(sale.SaleId, returned.Decision.OrderId, returned.Request.UserId, 1, CancellationToken.None));
        // The waiting-room keys and the admission lease go with the rest.
        var keys = RedisSaleKeys.For(sale.SaleId);
        await redis.Database.HashSetAsync(keys.Queue, "issued", 1);
        await redis.Database.HashSetAsync(keys.Tickets, RedisSaleKeys.Member(kept.Request.UserId), 1);
        await redis.Database.ListRightPushAsync(keys.Line, RedisSaleKeys.Member(kept.Request.UserId));
        await redis.Database.SortedSetAddAsync(keys.Admitted, RedisSaleKeys.Member(kept.Request.UserId), 1);
        await redis.Database.StringSetAsync(keys.Lease, "host", TimeSpan.FromMinutes(1));
        await redis.Database.SortedSetAddAsync(keys.Seen, RedisSaleKeys.Member(kept.Request.UserId), 1);
        await redis.Database.SortedSetAddAsync(keys.Absent, RedisSaleKeys.Member(kept.Request.UserId), 1);
        await redis.Database.SortedSetAddAsync(keys.Back, RedisSaleKeys.Member(kept.Request.UserId), 1);
        await redis.Database.SetAddAsync(keys.Entrants, RedisSaleKeys.Member(kept.Request.UserId));
        Assert.Equal(RedisSaleKeys.For(sale.SaleId).All.Count, (await ExistingKeysAsync(sale.SaleId)).Count);

        time.SetUtcNow(sale.EndsAt + Retention);
        var result = await ReconcileAsync(options, time, journal);

        Assert.Equal(1, result.SalesRemoved);
        Assert.Empty(await ExistingKeysAsync(sale.SaleId));
        Assert.False(await IsRegisteredAsync(options, sale));
        Assert.Equal(2, await CountOrdersAsync(sale.SaleId));
    }

    [Fact]
    public async Task An_ended_sale_not_yet_past_its_retention_keeps_its_state_and_registration()
    {
        var (sale, options, time, authority) = EndedSale();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var bought = await BuyAsync(authority, sale, journal);

        time.SetUtcNow(sale.EndsAt + Retention - TimeSpan.FromMilliseconds(1));
        var result = await ReconcileAsync(options, time, journal);

        Assert.Equal(0, result.SalesRemoved);
        Assert.True(await redis.Database.KeyExistsAsync(RedisSaleKeys.For(sale.SaleId).Meta));
        Assert.True(await IsRegisteredAsync(options, sale));
        // Still within the retention, a retry gets its order back from Redis.
        var retry = (await authority.DecideAsync(sale, time.GetUtcNow().ToUnixTimeMilliseconds(), bought.Request with { OrderId = Guid.CreateVersion7() }))[0];
        Assert.Equal((PurchaseStatus.Accepted, bought.Decision.OrderId, true), (retry.Status, retry.OrderId, retry.Replayed));
    }

    [Fact]
    public async Task An_ended_sale_whose_stream_holds_an_order_missing_from_postgres_is_kept_until_that_order_is_written()
    {
        var (sale, options, time, authority) = EndedSale();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        var lost = await BuyAsync(authority, sale, journal: null); // accepted by Redis, the commit never happened
        time.SetUtcNow(sale.EndsAt + Retention + TimeSpan.FromHours(1));

        // PostgreSQL is down: the pass fails and nothing is removed.
        await Assert.ThrowsAsync<InvalidOperationException>(() => ReconcileAsync(options, time, new FailingJournal()));
        // The pass succeeds but leaves the entry alone (younger than its minimum age): the removal script sees it and keeps the sale.
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var skipping = await ReconcileAsync(options with { ReconcileMinEntryAge = TimeSpan.FromDays(30) }, time, journal);
        Assert.Equal((0, 0), (skipping.EntriesCommitted, skipping.SalesRemoved));
        Assert.Equal(1, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        Assert.True(await IsRegisteredAsync(options, sale));
        Assert.Equal(0, await CountOrdersAsync(sale.SaleId));

        // Once the reconciler wrote the order, the same pass removes the sale.
        var result = await ReconcileAsync(options, time, journal);

        Assert.Equal((1, 1), (result.EntriesCommitted, result.SalesRemoved));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal(lost.Decision.OrderId, await connection.ExecuteScalarAsync<Guid>(
            "select id from orders where flash_sale_id = @saleId", new { saleId = sale.SaleId }));
        Assert.Empty(await ExistingKeysAsync(sale.SaleId));
        Assert.False(await IsRegisteredAsync(options, sale));
    }

    [Fact]
    public async Task Returning_a_pending_orders_units_after_removal_changes_nothing_and_throws_nothing()
    {
        var (sale, options, time, authority) = EndedSale();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var pending = await BuyAsync(authority, sale, journal, 3);
        time.SetUtcNow(sale.EndsAt + Retention);
        Assert.Equal(1, (await ReconcileAsync(options, time, journal)).SalesRemoved);

        var returned = await authority.ReturnUnitsAsync(sale.SaleId, pending.Decision.OrderId, pending.Request.UserId, 3, CancellationToken.None);
        var again = await authority.ReturnUnitsAsync(sale.SaleId, pending.Decision.OrderId, pending.Request.UserId, 3, CancellationToken.None);

        Assert.False(returned);
        Assert.False(again);
        Assert.Empty(await ExistingKeysAsync(sale.SaleId));
        Assert.Null(await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task A_purchase_retry_after_removal_is_answered_sale_not_active_and_resurrects_nothing()
    {
        var (sale, options, time, authority) = EndedSale();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);
        var bought = await BuyAsync(authority, sale, journal);
        time.SetUtcNow(sale.EndsAt + Retention);
        Assert.Equal(1, (await ReconcileAsync(options, time, journal)).SalesRemoved);

        // Through the engine, as the purchase endpoint does: a missing state would normally trigger a rebuild.
        var engine = new SaleEngine(sale, authority, journal, EngineTestKit.Options(), time);
        PurchaseDecision retry;
        await using (engine)
        {
            retry = await engine.SubmitAsync(bought.Request with { OrderId = Guid.CreateVersion7() });
        }
        await authority.EnsureInitializedAsync(sale, CancellationToken.None); // e.g. an admin screen touching the sale

        Assert.Equal(PurchaseStatus.SaleNotActive, retry.Status);
        Assert.Empty(await ExistingKeysAsync(sale.SaleId));
        Assert.False(await IsRegisteredAsync(options, sale));
        Assert.Equal(1, await CountOrdersAsync(sale.SaleId));
    }

    [Fact]
    public async Task A_registered_sale_without_any_state_is_dropped_from_the_set_and_an_installed_one_is_kept()
    {
        var (sale, options, time, authority) = EndedSale();
        var live = redis.NewSale();
        await redis.Database.SetAddAsync(options.SalesSetKey, sale.SaleId.ToString("D")); // removal stopped before the set
        await authority.EnsureInitializedAsync(live, CancellationToken.None);
        await using var journal = new PostgresOrderJournal(database.DataSource);

        var result = await ReconcileAsync(options, time, journal);

        Assert.Equal(0, result.SalesRemoved);
        Assert.Equal([(RedisValue)live.SaleId.ToString("D")], await redis.Database.SetMembersAsync(options.SalesSetKey));
    }
}
