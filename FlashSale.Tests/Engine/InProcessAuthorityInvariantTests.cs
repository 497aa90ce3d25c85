using System.Collections.Concurrent;
using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Testing.Engine;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Engine;

[Trait("Category", TestCategory.Unit)]
public sealed class InProcessAuthorityInvariantTests
{
    [Fact]
    public async Task Storm_of_2000_purchases_from_500_users_sells_exactly_the_300_units_and_commits_each_order_once()
    {
        const int Stock = 300, Limit = 2, Users = 500, Purchases = 2_000;
        var sale = Sale(stock: Stock, perUserLimit: Limit);
        var authority = new InProcessStockAuthority();
        var journal = new FakeOrderJournal();
        await using var registry = new SaleEngineRegistry(authority, journal, Options());

        var users = Enumerable.Range(0, Users).Select(_ => Guid.NewGuid()).ToArray();
        var requests = Enumerable.Range(0, Purchases)
            .Select(i => Request(sale, users[i % Users], $"key-{i}"))
            .OrderBy(_ => Random.Shared.Next())
            .ToArray();

        using var start = new ManualResetEventSlim();
        var shots = requests.Chunk(50).Select(chunk => Task.Run(async () =>
        {
            start.Wait();
            var answers = new List<(PurchaseRequest, PurchaseDecision)>(chunk.Length);
            foreach (var request in chunk)
            {
                answers.Add((request, await registry.SubmitAsync(sale, request)));
            }

            return answers;
        })).ToArray();
        start.Set();
        var answers = (await Task.WhenAll(shots)).SelectMany(a => a).ToArray();

        var accepted = answers.Where(a => a.Item2.Status == PurchaseStatus.Accepted).ToArray();
        Assert.Equal(Stock, accepted.Sum(a => a.Item2.Quantity));
        Assert.All(answers.Where(a => a.Item2.Status != PurchaseStatus.Accepted),
            a => Assert.Contains(a.Item2.Status, new[] { PurchaseStatus.SoldOut, PurchaseStatus.LimitReached }));
        Assert.All(accepted.GroupBy(a => a.Item1.UserId), g => Assert.InRange(g.Sum(a => a.Item2.Quantity), 1, Limit));
        Assert.Equal(0, await authority.GetRemainingStockAsync(sale.SaleId, default));

        var writes = journal.Writes;
        Assert.Equal(accepted.Length, writes.Count);
        Assert.All(accepted, a => Assert.Equal(1, writes[a.Item2.OrderId]));
        Assert.Equal(Stock, journal.Rows.Values.Sum(o => o.Quantity));
    }

    [Fact]
    public async Task Returned_units_go_back_exactly_once_per_order_and_are_sold_again()
    {
        var sale = Sale(stock: 2, perUserLimit: 1);
        var authority = new InProcessStockAuthority();
        await using var engine = new SaleEngine(sale, authority, new FakeOrderJournal(), Options());
        var (alice, bob, carol) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        var alicesOrder = await engine.SubmitAsync(Request(sale, alice, "a1"));
        Assert.Equal(PurchaseStatus.Accepted, alicesOrder.Status);
        Assert.Equal(PurchaseStatus.Accepted, (await engine.SubmitAsync(Request(sale, bob, "b1"))).Status);
        Assert.Equal(PurchaseStatus.SoldOut, (await engine.SubmitAsync(Request(sale, carol, "c1"))).Status);
        Assert.Equal(PurchaseStatus.LimitReached, (await engine.SubmitAsync(Request(sale, alice, "a2"))).Status);

        // Expiry and a cancellation race on the same order from other threads: one of them returns it.
        var returns = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(
            async () => await authority.ReturnUnitsAsync(sale.SaleId, alicesOrder.OrderId, alice, 1, default))));
        Assert.Single(returns, r => r);
        Assert.Equal(1, await authority.GetRemainingStockAsync(sale.SaleId, default));

        // Alice's allowance is back too: she may buy again with a new key, and then the stock is gone again.
        Assert.Equal(PurchaseStatus.Accepted, (await engine.SubmitAsync(Request(sale, alice, "a3"))).Status);
        Assert.Equal(PurchaseStatus.SoldOut, (await engine.SubmitAsync(Request(sale, carol, "c2"))).Status);
        Assert.False(await authority.ReturnUnitsAsync(sale.SaleId, alicesOrder.OrderId, alice, 1, default));
        Assert.Equal(0, await authority.GetRemainingStockAsync(sale.SaleId, default));

        // The recorded outcome of a key is kept: replaying Alice's first key still shows her first order.
        Assert.Equal(alicesOrder with { Replayed = true }, await engine.SubmitAsync(Request(sale, alice, "a1")));
    }

    [Fact]
    public async Task Refusals_under_fresh_keys_are_remembered_only_up_to_a_cap_per_shopper()
    {
        // Issue 11 item 4, single-host mode: a bot cycling Idempotency-Keys must not grow the authority's memory.
        var sale = Sale(stock: 10, perUserLimit: 1);
        var authority = new InProcessStockAuthority();
        await using var engine = new SaleEngine(sale, authority, new FakeOrderJournal(), Options());
        var bot = Guid.NewGuid();
        var order = await engine.SubmitAsync(Request(sale, bot, "first"));
        Assert.Equal(PurchaseStatus.Accepted, order.Status);
        for (var i = 0; i < IdempotencyBounds.MaxRecordedRefusalsPerShopper + 10; i++)
        {
            Assert.Equal(PurchaseStatus.LimitReached, (await engine.SubmitAsync(Request(sale, bot, $"cycle-{i}"))).Status);
        }

        // The bot's allowance comes back: a refusal within the cap still replays, one past it is decided afresh.
        Assert.True(await authority.ReturnUnitsAsync(sale.SaleId, order.OrderId, bot, 1, default));
        var recorded = await engine.SubmitAsync(Request(sale, bot, "cycle-0"));
        Assert.Equal((PurchaseStatus.LimitReached, true), (recorded.Status, recorded.Replayed));
        var forgotten = await engine.SubmitAsync(Request(sale, bot, $"cycle-{IdempotencyBounds.MaxRecordedRefusalsPerShopper + 5}"));
        Assert.Equal((PurchaseStatus.Accepted, false), (forgotten.Status, forgotten.Replayed));
    }

    [Fact]
    public async Task Returns_from_other_threads_during_a_storm_never_oversell_and_conserve_stock()
    {
        const int Stock = 50;
        var sale = Sale(stock: Stock, perUserLimit: 1_000);
        var authority = new InProcessStockAuthority();
        await using var engine = new SaleEngine(sale, authority, new FakeOrderJournal(), Options());
        var accepted = new ConcurrentQueue<(Guid User, PurchaseDecision Decision)>();
        var returnedUnits = 0;
        using var stop = new CancellationTokenSource();

        var returner = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                if (accepted.TryDequeue(out var order)
                    && await authority.ReturnUnitsAsync(sale.SaleId, order.Decision.OrderId, order.User, order.Decision.Quantity, default))
                {
                    Interlocked.Add(ref returnedUnits, order.Decision.Quantity);
                    // A second return of the same order must be a no-op.
                    Assert.False(await authority.ReturnUnitsAsync(sale.SaleId, order.Decision.OrderId, order.User, order.Decision.Quantity, default));
                }

                await Task.Yield();
            }
        });

        var soldUnits = 0;
        var buyers = Enumerable.Range(0, 4).Select(b => Task.Run(async () =>
        {
            var user = Guid.NewGuid();
            for (var i = 0; i < 2_000; i++)
            {
                var d = await engine.SubmitAsync(Request(sale, user, $"{b}-{i}", quantity: 1 + (i % 3)));
                if (d.Status == PurchaseStatus.Accepted)
                {
                    Interlocked.Add(ref soldUnits, d.Quantity);
                    accepted.Enqueue((user, d));
                }

                Assert.True(d.RemainingStock is >= -1 and <= Stock);
            }
        })).ToArray();

        await Task.WhenAll(buyers);
        await stop.CancelAsync();
        await returner;

        var remaining = await authority.GetRemainingStockAsync(sale.SaleId, default);
        Assert.Equal(Stock - soldUnits + returnedUnits, remaining);
        Assert.InRange(soldUnits - returnedUnits, 0, Stock);
    }

    [Fact]
    public async Task Restart_rebuilds_stock_allowances_and_idempotency_from_durable_orders()
    {
        var sale = Sale(stock: 10, perUserLimit: 3);
        var (alice, bob) = (Guid.NewGuid(), Guid.NewGuid());
        DurableOrder Order(Guid user, string key, int quantity, DurableOrderStatus status) =>
            new(Guid.CreateVersion7(), user, quantity, sale.UnitPriceCents, key, 1_000, status);
        var held = Order(alice, "a1", 3, DurableOrderStatus.Reserved);
        var expired = Order(bob, "b1", 2, DurableOrderStatus.Expired);
        var authority = new InProcessStockAuthority(new FixedDurableOrders([held, expired]));
        await using var engine = new SaleEngine(sale, authority, new FakeOrderJournal(), Options());

        Assert.Equal(PurchaseStatus.LimitReached, (await engine.SubmitAsync(Request(sale, alice, "a2"))).Status);
        var replay = await engine.SubmitAsync(Request(sale, bob, "b1"));
        Assert.Equal((PurchaseStatus.Accepted, expired.OrderId, true), (replay.Status, replay.OrderId, replay.Replayed));
        Assert.False(await authority.ReturnUnitsAsync(sale.SaleId, expired.OrderId, bob, 2, default));
        Assert.Equal(7, await authority.GetRemainingStockAsync(sale.SaleId, default));
    }

}
