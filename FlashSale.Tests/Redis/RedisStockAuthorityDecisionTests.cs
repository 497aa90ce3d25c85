using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Infrastructure;
using StackExchange.Redis;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

[Trait("Category", TestCategory.Integration)]
public sealed class RedisStockAuthorityDecisionTests(RedisConnection redis, TestDatabase database)
    : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{
    private async Task<(RedisStockAuthority Authority, SaleDefinition Sale)> NewSaleAsync(
        int stock = 100, int perUserLimit = 2, bool waitingRoom = false, DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        var sale = redis.NewSale(stock, perUserLimit, waitingRoom: waitingRoom, startsAt: startsAt, endsAt: endsAt);
        var authority = redis.Authority(database.DataSource);
        await authority.LoadScriptsAsync();
        await authority.EnsureInitializedAsync(sale, CancellationToken.None);
        return (authority, sale);
    }

    [Fact]
    public async Task A_batch_is_decided_in_order_and_accepted_orders_take_stock_and_land_in_the_stream()
    {
        var (authority, sale) = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var before = Now;
        var requests = new[] { Request(sale, Guid.NewGuid(), 3), Request(sale, Guid.NewGuid(), 2), Request(sale, Guid.NewGuid(), 1) };

        var decisions = await authority.DecideAsync(sale, 0, requests); // the host's clock is not Redis'
        var now = decisions[0].CreatedAtUnixMs;

        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Equal([7, 5, 4], decisions.Select(d => d.RemainingStock));
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(requests[i].OrderId, decisions[i].OrderId);
            Assert.Equal(requests[i].Quantity, decisions[i].Quantity);
            Assert.Equal(sale.UnitPriceCents, decisions[i].UnitPriceCents);
            Assert.Equal(now, decisions[i].CreatedAtUnixMs);
            Assert.False(decisions[i].Replayed);
        }
        Assert.InRange(now, before - 1_000, Now + 1_000); // Redis TIME, on this machine
        Assert.Equal(4, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));

        var entries = await redis.Database.StreamRangeAsync(RedisSaleKeys.For(sale.SaleId).Orders);
        Assert.Equal(3, entries.Length);
        Assert.Equal(RedisSaleKeys.Member(requests[0].OrderId), (string?)entries[0]["o"]);
        Assert.Equal(RedisSaleKeys.Member(requests[0].UserId), (string?)entries[0]["u"]);
        Assert.Equal("3", (string?)entries[0]["q"]);
        Assert.Equal(requests[0].IdempotencyKey, (string?)entries[0]["k"]);
        Assert.Equal(now + (sale.PaymentWindowSeconds * 1000L), (long)entries[0]["e"]);
    }

    [Fact]
    public async Task A_request_for_more_than_the_remaining_stock_is_sold_out_while_a_smaller_one_after_it_is_accepted()
    {
        var (authority, sale) = await NewSaleAsync(stock: 3, perUserLimit: 5);

        var decisions = await authority.DecideAsync(sale, Now,
            Request(sale, Guid.NewGuid(), 2), Request(sale, Guid.NewGuid(), 2), Request(sale, Guid.NewGuid(), 1), Request(sale, Guid.NewGuid(), 1));

        Assert.Equal([PurchaseStatus.Accepted, PurchaseStatus.SoldOut, PurchaseStatus.Accepted, PurchaseStatus.SoldOut], decisions.Select(d => d.Status));
        Assert.Equal(0, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task A_shopper_above_the_per_user_limit_is_refused_across_batches()
    {
        var (authority, sale) = await NewSaleAsync(stock: 100, perUserLimit: 2);
        var user = Guid.NewGuid();

        var first = await authority.DecideAsync(sale, Now, Request(sale, user, 1), Request(sale, user, 2));
        var second = await authority.DecideAsync(sale, Now, Request(sale, user, 1), Request(sale, user, 1));

        Assert.Equal([PurchaseStatus.Accepted, PurchaseStatus.LimitReached], first.Select(d => d.Status));
        Assert.Equal([PurchaseStatus.Accepted, PurchaseStatus.LimitReached], second.Select(d => d.Status));
        Assert.Equal(98, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task Outside_the_sale_window_requests_are_not_active_and_not_recorded()
    {
        // The window is decided on Redis' clock whatever the host passes: a host claiming to be in the window is not.
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(1);
        var (authority, sale) = await NewSaleAsync(startsAt: startsAt, endsAt: startsAt.AddSeconds(1));
        var request = Request(sale, Guid.NewGuid());

        var early = await authority.DecideAsync(sale, startsAt.AddMilliseconds(500).ToUnixTimeMilliseconds(), request);
        await Task.Delay(startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        var open = await authority.DecideAsync(sale, startsAt.AddHours(-1).ToUnixTimeMilliseconds(), request);
        await Task.Delay(sale.EndsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        var late = await authority.DecideAsync(sale, startsAt.ToUnixTimeMilliseconds(), Request(sale, Guid.NewGuid()));

        Assert.Equal(PurchaseStatus.SaleNotActive, early[0].Status);
        Assert.Equal(PurchaseStatus.Accepted, open[0].Status); // same key: the refusal was not recorded
        Assert.False(open[0].Replayed);
        Assert.Equal(PurchaseStatus.SaleNotActive, late[0].Status);
    }

    [Fact]
    public async Task A_replayed_key_gets_the_first_acceptance_back_even_within_the_same_batch()
    {
        var (authority, sale) = await NewSaleAsync(stock: 10, perUserLimit: 2);
        var user = Guid.NewGuid();
        var first = Request(sale, user, 2, "key-1");
        var again = first with { OrderId = Guid.CreateVersion7() };

        var batch = await authority.DecideAsync(sale, 1_000 + Now, first, again);
        var later = await authority.DecideAsync(sale, 5_000 + Now, again with { OrderId = Guid.CreateVersion7(), Quantity = 1 });

        Assert.Equal(PurchaseStatus.Accepted, batch[0].Status);
        foreach (var replay in new[] { batch[1], later[0] })
        {
            Assert.Equal(PurchaseStatus.Accepted, replay.Status);
            Assert.True(replay.Replayed);
            Assert.Equal(first.OrderId, replay.OrderId);
            Assert.Equal(2, replay.Quantity);
            Assert.Equal(batch[0].UnitPriceCents, replay.UnitPriceCents);
            Assert.Equal(batch[0].CreatedAtUnixMs, replay.CreatedAtUnixMs);
        }
        Assert.Equal(8, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        Assert.Equal(1, await redis.Database.StreamLengthAsync(RedisSaleKeys.For(sale.SaleId).Orders));
    }

    [Fact]
    public async Task Refusals_replay_as_refusals_even_after_the_situation_changed()
    {
        var (authority, sale) = await NewSaleAsync(stock: 1, perUserLimit: 1);
        var buyer = Guid.NewGuid();
        var late = Guid.NewGuid();
        var bought = Request(sale, buyer);
        var overLimit = Request(sale, buyer, key: "over");
        var soldOut = Request(sale, late, key: "late");

        var firstTime = await authority.DecideAsync(sale, Now, bought, overLimit, soldOut);
        Assert.True(await authority.ReturnUnitsAsync(sale.SaleId, bought.OrderId, buyer, 1, CancellationToken.None));
        var replays = await authority.DecideAsync(sale, Now, overLimit with { OrderId = Guid.CreateVersion7() }, soldOut with { OrderId = Guid.CreateVersion7() });

        Assert.Equal([PurchaseStatus.Accepted, PurchaseStatus.LimitReached, PurchaseStatus.SoldOut], firstTime.Select(d => d.Status));
        Assert.Equal([PurchaseStatus.LimitReached, PurchaseStatus.SoldOut], replays.Select(d => d.Status));
        Assert.All(replays, d => Assert.True(d.Replayed));
        Assert.Equal(1, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task One_key_fired_twenty_times_concurrently_makes_one_order_and_twenty_identical_answers()
    {
        var (authority, sale) = await NewSaleAsync(stock: 10, perUserLimit: 5);
        var user = Guid.NewGuid();
        var now = Now;

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
            (await authority.DecideAsync(sale, now, Request(sale, user, 1, "the-key")))[0])));

        Assert.Single(answers, a => !a.Replayed);
        Assert.Single(answers.Select(a => (a.Status, a.OrderId, a.Quantity, a.UnitPriceCents, a.CreatedAtUnixMs)).Distinct());
        Assert.Equal(PurchaseStatus.Accepted, answers[0].Status);
        Assert.Equal(9, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task A_quantity_below_one_is_refused_and_never_adds_stock()
    {
        var (authority, sale) = await NewSaleAsync(stock: 5);

        var decisions = await authority.DecideAsync(sale, Now, Request(sale, Guid.NewGuid(), 0), Request(sale, Guid.NewGuid(), -3));

        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.InvalidQuantity, d.Status));
        Assert.Equal(5, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task Deciding_a_sale_without_state_throws_sale_state_missing()
    {
        var sale = redis.NewSale();
        var authority = redis.Authority(database.DataSource);

        var error = await Assert.ThrowsAsync<SaleStateMissingException>(() => authority.DecideAsync(sale, Now, Request(sale, Guid.NewGuid())));

        Assert.Equal(sale.SaleId, error.SaleId);
        Assert.Null(await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        Assert.False(await authority.ReturnUnitsAsync(sale.SaleId, Guid.NewGuid(), Guid.NewGuid(), 1, CancellationToken.None));
    }

    [Fact]
    public async Task A_decision_still_works_after_script_flush_by_reloading_on_noscript()
    {
        var (authority, sale) = await NewSaleAsync(stock: 5);
        Assert.Equal(PurchaseStatus.Accepted, (await authority.DecideAsync(sale, Now, Request(sale, Guid.NewGuid())))[0].Status);

        foreach (var server in redis.Multiplexer.GetServers())
        {
            await server.ScriptFlushAsync();
        }
        var after = await authority.DecideAsync(sale, Now, Request(sale, Guid.NewGuid()));

        Assert.Equal(PurchaseStatus.Accepted, after[0].Status);
        Assert.Equal(3, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    [Fact]
    public async Task Updating_a_live_sale_changes_the_price_and_window_every_host_decides_with()
    {
        var (authority, sale) = await NewSaleAsync(stock: 5);
        var other = redis.Authority(database.DataSource);
        var now = Now;

        Assert.True(await authority.UpdateSaleAsync(sale with { UnitPriceCents = 1234 }, CancellationToken.None));
        var repriced = await other.DecideAsync(sale, now, Request(sale, Guid.NewGuid()));
        Assert.True(await authority.UpdateSaleAsync(sale with { UnitPriceCents = 1234, EndsAt = DateTimeOffset.FromUnixTimeMilliseconds(now) }, CancellationToken.None));
        var closed = await other.DecideAsync(sale, now, Request(sale, Guid.NewGuid()));

        Assert.Equal(1234, repriced[0].UnitPriceCents);
        Assert.Equal(PurchaseStatus.SaleNotActive, closed[0].Status);
        Assert.False(await authority.UpdateSaleAsync(redis.NewSale(), CancellationToken.None));
    }

    [Fact]
    public async Task In_a_waiting_room_sale_only_shoppers_admitted_until_now_may_buy()
    {
        var (authority, sale) = await NewSaleAsync(stock: 5, waitingRoom: true);
        var now = Now;
        var admitted = Guid.NewGuid();
        var lapsed = Guid.NewGuid();
        var admittedKey = RedisSaleKeys.For(sale.SaleId).Admitted;
        await redis.Database.SortedSetAddAsync(admittedKey, RedisSaleKeys.Member(admitted), now + 60_000);
        await redis.Database.SortedSetAddAsync(admittedKey, RedisSaleKeys.Member(lapsed), now - 1);

        var decisions = await authority.DecideAsync(sale, now,
            Request(sale, Guid.NewGuid()), Request(sale, admitted), Request(sale, lapsed));

        Assert.Equal([PurchaseStatus.NotAdmitted, PurchaseStatus.Accepted, PurchaseStatus.NotAdmitted], decisions.Select(d => d.Status));
    }

    [Fact]
    public async Task Units_are_returned_exactly_once_under_concurrent_calls_from_two_connections()
    {
        var (authority, sale) = await NewSaleAsync(stock: 2, perUserLimit: 2);
        await using var secondConnection = await RedisConnection.ConnectAsync();
        var second = redis.Authority(database.DataSource, secondConnection);
        var user = Guid.NewGuid();
        var request = Request(sale, user, 2);
        Assert.Equal(PurchaseStatus.Accepted, (await authority.DecideAsync(sale, Now, request))[0].Status);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Task.Run(async () =>
            await (i % 2 == 0 ? authority : second).ReturnUnitsAsync(sale.SaleId, request.OrderId, user, 2, CancellationToken.None))));

        Assert.Single(results, r => r);
        Assert.Equal(2, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        var again = await authority.DecideAsync(sale, Now, Request(sale, user, 2));
        Assert.Equal(PurchaseStatus.Accepted, again[0].Status); // the allowance came back too
    }

    [Fact]
    public async Task Two_authorities_on_two_connections_sell_exactly_the_stock_and_nobody_above_the_limit()
    {
        var sale = redis.NewSale(stock: 300, perUserLimit: 2);
        await using var firstConnection = await RedisConnection.ConnectAsync();
        await using var secondConnection = await RedisConnection.ConnectAsync();
        var hosts = new[] { redis.Authority(database.DataSource, firstConnection), redis.Authority(database.DataSource, secondConnection) };
        await Task.WhenAll(hosts.Select(h => h.EnsureInitializedAsync(sale, CancellationToken.None).AsTask()));
        var users = Enumerable.Range(0, 500).Select(_ => Guid.NewGuid()).ToArray();
        var requests = Enumerable.Range(0, 2_000).Select(i => Request(sale, users[i % 500], 1 + (i % 2))).ToArray();

        // Each host decides its half in concurrent batches of up to 32, as an engine per host would.
        var decided = await Task.WhenAll(Enumerable.Range(0, 2).Select(h => Task.Run(async () =>
        {
            var mine = requests.Where((_, i) => i % 2 == h).ToArray();
            var chunks = mine.Chunk(32).ToArray();
            var results = await Task.WhenAll(chunks.Select(async chunk =>
                (chunk, await hosts[h].DecideAsync(sale, Now, chunk))));
            return results.SelectMany(r => r.chunk.Zip(r.Item2)).ToArray();
        })));

        var all = decided.SelectMany(d => d).ToArray();
        var accepted = all.Where(d => d.Second.Status == PurchaseStatus.Accepted).ToArray();
        Assert.Equal(2_000, all.Length);
        Assert.Equal(300, accepted.Sum(a => a.Second.Quantity));
        Assert.All(accepted.GroupBy(a => a.First.UserId), g => Assert.True(g.Sum(a => a.Second.Quantity) <= 2));
        Assert.All(all, d => Assert.Contains(d.Second.Status, new[] { PurchaseStatus.Accepted, PurchaseStatus.SoldOut, PurchaseStatus.LimitReached }));
        Assert.Equal(0, await hosts[0].GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
        var stream = await redis.Database.StreamRangeAsync(RedisSaleKeys.For(sale.SaleId).Orders);
        Assert.Equal(300, stream.Sum(e => (int)e["q"]));
        Assert.Equal(accepted.Length, stream.Length);
    }
}
