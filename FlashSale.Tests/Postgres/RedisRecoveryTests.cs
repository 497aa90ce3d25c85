using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Testing.Engine;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Redis;
using StackExchange.Redis;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Postgres;

/// <summary>Redis and PostgreSQL together: rebuilding lost Redis state, and replaying the stream after a failed commit.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RedisRecoveryTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{

    private async Task<long> CountOrdersAsync(Guid saleId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from orders where flash_sale_id = @saleId", new { saleId });
    }

    [Fact]
    public async Task After_redis_loses_a_sale_it_is_rebuilt_from_postgres_with_stock_users_and_idempotency()
    {
        var sale = redis.NewSale(stock: 20, perUserLimit: 3);
        var authority = redis.Authority(database.DataSource);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        var alice = Guid.NewGuid();
        var bob = Guid.NewGuid();
        var requests = new[] { Request(sale, alice, 2, "a1"), Request(sale, bob, 3, "b1"), Request(sale, alice, 1, "a2") };
        var now = Now;
        var decisions = await authority.DecideAsync(sale, now, requests);
        await using (var journal = new PostgresOrderJournal(database.DataSource))
        {
            await journal.CommitAsync(requests.Zip(decisions, (r, d) => r.ToOrder(d, sale)).ToArray(), CancellationToken.None);
        }
        // Bob's order expired in PostgreSQL, and the sweeper crashed before returning its units to Redis.
        await using (var connection = await database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set status = 'expired' where id = @id", new { id = requests[1].OrderId });
        }

        await redis.Database.KeyDeleteAsync([.. RedisSaleKeys.For(sale.SaleId).All]); // Redis lost the sale
        await Assert.ThrowsAsync<SaleStateMissingException>(() => authority.DecideAsync(sale, now, Request(sale, alice)));
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);

        Assert.Equal(17, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None)); // 20 - alice's 3
        var replays = await authority.DecideAsync(sale, now + 10, requests.Select(r => r with { OrderId = Guid.CreateVersion7() }).ToArray());
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.True(replays[i].Replayed);
            // A replay appends no stream entry, so it carries no log position.
            Assert.Equal(decisions[i] with { RemainingStock = 0, Replayed = true, LogPosition = default }, replays[i] with { RemainingStock = 0 });
        }
        var more = await authority.DecideAsync(sale, now + 10, Request(sale, alice), Request(sale, bob, 3));
        Assert.Equal([PurchaseStatus.LimitReached, PurchaseStatus.Accepted], more.Select(d => d.Status)); // bob's allowance is free again
        Assert.False(await authority.ReturnUnitsAsync(sale.SaleId, requests[1].OrderId, bob, 3, CancellationToken.None)); // already not held
        Assert.Equal(14, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task Initialising_a_live_sale_again_never_resets_it_even_from_two_hosts_at_once()
    {
        var sale = redis.NewSale(stock: 10, perUserLimit: 5);
        await using var otherConnection = await RedisConnection.ConnectAsync();
        var first = redis.Authority(database.DataSource);
        var second = redis.Authority(database.DataSource, otherConnection);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            (i % 2 == 0 ? first : second).EnsureInitializedAsync(sale, CancellationToken.None).AsTask()));
        var bought = await first.DecideAsync(sale, Now, Request(sale, Guid.NewGuid(), 4));

        await second.EnsureInitializedAsync(sale, CancellationToken.None);
        await first.EnsureInitializedAsync(sale with { TotalStock = 1_000 }, CancellationToken.None);

        Assert.Equal(PurchaseStatus.Accepted, bought[0].Status);
        Assert.Equal(6, await second.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        Assert.Contains((RedisValue)sale.SaleId.ToString("D"), await redis.Database.SetMembersAsync(redis.Options.SalesSetKey));
    }

    [Fact]
    public async Task A_rebuild_counts_accepted_orders_still_in_the_stream_that_postgres_does_not_have_yet()
    {
        var sale = redis.NewSale(stock: 10, perUserLimit: 5);
        var authority = redis.Authority(database.DataSource);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        var request = Request(sale, Guid.NewGuid(), 4, "k");
        var decided = await authority.DecideAsync(sale, Now, request); // never committed to PostgreSQL
        var keys = RedisSaleKeys.For(sale.SaleId);

        await redis.Database.KeyDeleteAsync([keys.Meta, keys.Stock, keys.Users, keys.Idempotency]); // the stream survived
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);

        Assert.Equal(6, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        var replay = await authority.DecideAsync(sale, Now, request with { OrderId = Guid.CreateVersion7() });
        Assert.Equal(decided[0].OrderId, replay[0].OrderId);
        Assert.True(replay[0].Replayed);
    }

    [Fact]
    public async Task Orders_whose_commit_failed_reach_postgres_exactly_once_through_the_reconciler_which_then_trims_the_stream()
    {
        var sale = redis.NewSale(stock: 100, perUserLimit: 5);
        var options = redis.PrivateOptions();
        var authority = redis.Authority(database.DataSource, options: options);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        var requests = Enumerable.Range(0, 40).Select(_ => Request(sale, Guid.NewGuid(), 2)).ToArray();
        var decisions = await authority.DecideAsync(sale, Now, requests);
        var orders = requests.Zip(decisions, (r, d) => r.ToOrder(d, sale)).ToArray();
        await using var journal = new PostgresOrderJournal(database.DataSource);
        await journal.CommitAsync(orders.AsMemory(0, 10), CancellationToken.None); // the first batch made it

        var failing = new FailingJournal();
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await failing.CommitAsync(orders.AsMemory(10), CancellationToken.None));
        Assert.Equal(10, await CountOrdersAsync(sale.SaleId));

        var failingReconciler = new OrderStreamReconciler(redis.Multiplexer, failing, options);
        await Assert.ThrowsAsync<InvalidOperationException>(() => failingReconciler.ReconcileOnceAsync(CancellationToken.None));
        Assert.Equal(40, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders)); // nothing trimmed

        var reconciler = new OrderStreamReconciler(redis.Multiplexer, journal, options with { ReconcileChunkSize = 7 });
        var result = await reconciler.ReconcileOnceAsync(CancellationToken.None);
        var again = await reconciler.ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal(30, result.EntriesCommitted); // the 10 PostgreSQL already held are looked up, not rewritten
        Assert.Equal(40, result.EntriesTrimmed);
        Assert.Equal(0, again.EntriesCommitted);
        Assert.Equal(0, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(Guid Id, int Quantity, decimal UnitPrice, string Key, DateTime ExpiresAt)>(
            "select id, quantity, unit_price, idempotency_key, expires_at from orders where flash_sale_id = @saleId", new { saleId = sale.SaleId })).ToList();
        Assert.Equal(orders.Select(o => o.OrderId).Order(), rows.Select(r => r.Id).Order());
        foreach (var order in orders)
        {
            var row = rows.Single(r => r.Id == order.OrderId);
            Assert.Equal((order.Quantity, order.UnitPriceCents / 100m, order.IdempotencyKey, order.ExpiresAtUnixMs),
                (row.Quantity, row.UnitPrice, row.Key, new DateTimeOffset(row.ExpiresAt, TimeSpan.Zero).ToUnixTimeMilliseconds()));
        }
    }

    [Fact]
    public async Task Two_reconcilers_running_at_once_write_each_order_exactly_once_and_empty_the_stream()
    {
        var options = redis.PrivateOptions() with { ReconcileChunkSize = 50 };
        var authority = redis.Authority(database.DataSource, options: options);
        var sales = new[] { redis.NewSale(stock: 1_000, perUserLimit: 5), redis.NewSale(stock: 1_000, perUserLimit: 5) };
        var accepted = 0;
        foreach (var sale in sales)
        {
            await authority.EnsureInitializedAsync(sale, CancellationToken.None);
            for (var b = 0; b < 4; b++)
            {
                var decisions = await authority.DecideAsync(sale, Now, Enumerable.Range(0, 100).Select(_ => Request(sale, Guid.NewGuid())).ToArray());
                accepted += decisions.Count(d => d.Status == PurchaseStatus.Accepted);
            }
        }
        await using var firstJournal = new PostgresOrderJournal(database.DataSource);
        await using var secondJournal = new PostgresOrderJournal(database.DataSource);
        await using var otherConnection = await RedisConnection.ConnectAsync();

        await Task.WhenAll(
            new OrderStreamReconciler(redis.Multiplexer, firstJournal, options).ReconcileOnceAsync(CancellationToken.None),
            new OrderStreamReconciler(otherConnection, secondJournal, options).ReconcileOnceAsync(CancellationToken.None));

        Assert.Equal(800, accepted);
        await using var connection = await database.DataSource.OpenConnectionAsync();
        foreach (var sale in sales)
        {
            Assert.Equal(400, await CountOrdersAsync(sale.SaleId));
            Assert.Equal(0, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        }
    }

    [Fact]
    public async Task The_reconciler_leaves_entries_younger_than_its_minimum_age_for_a_later_pass()
    {
        var sale = redis.NewSale(stock: 10);
        var options = redis.PrivateOptions() with { ReconcileMinEntryAge = TimeSpan.FromMinutes(5) };
        var authority = redis.Authority(database.DataSource, options: options);
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        await authority.DecideAsync(sale, Now, Request(sale, Guid.NewGuid()));
        await using var journal = new PostgresOrderJournal(database.DataSource);

        await new OrderStreamReconciler(redis.Multiplexer, journal, options).ReconcileOnceAsync(CancellationToken.None);

        Assert.Equal(1, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
        Assert.Equal(0, await CountOrdersAsync(sale.SaleId));
    }
}
