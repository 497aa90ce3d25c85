using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using Microsoft.Extensions.Time.Testing;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Engine;

[Trait("Category", TestCategory.Unit)]
public sealed class SaleEngineRegistryTests
{
    [Fact]
    public async Task First_use_creates_one_engine_per_sale_and_later_uses_reuse_it()
    {
        await using var registry = new SaleEngineRegistry(new InProcessStockAuthority(), new FakeOrderJournal(), Options());
        var sale = Sale();

        var engines = await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => Task.Run(() => registry.GetOrCreate(sale))));

        Assert.All(engines, e => Assert.Same(engines[0], e));
        Assert.Equal(1, registry.Count);
        Assert.True(registry.TryGet(sale.SaleId, out var found));
        Assert.Same(engines[0], found);
        Assert.NotSame(engines[0], registry.GetOrCreate(Sale()));
    }

    [Fact]
    public async Task Update_replaces_the_live_definition_for_the_next_purchases()
    {
        var authority = new InProcessStockAuthority();
        await using var registry = new SaleEngineRegistry(authority, new FakeOrderJournal(), Options());
        var sale = Sale(unitPriceCents: 1_000, perUserLimit: 10);
        var user = Guid.NewGuid();

        Assert.False(registry.Update(sale with { UnitPriceCents = 1 }));
        Assert.Equal(1_000, (await registry.SubmitAsync(sale, Request(sale, user, "k1"))).UnitPriceCents);

        Assert.True(registry.Update(sale with { UnitPriceCents = 750 }));
        Assert.Equal(750, (await registry.SubmitAsync(sale, Request(sale, user, "k2"))).UnitPriceCents);
        Assert.Equal(750, registry.GetOrCreate(sale).Sale.UnitPriceCents);

        // A replay keeps the price it was first sold at.
        Assert.Equal(1_000, (await registry.SubmitAsync(sale, Request(sale, user, "k1"))).UnitPriceCents);
    }

    [Fact]
    public async Task Engines_of_ended_sales_are_retired_after_the_grace_period_and_running_sales_are_kept()
    {
        var time = new FakeTimeProvider(Epoch);
        var options = Options();
        options.RetireAfterEnd = TimeSpan.FromMinutes(1);
        await using var registry = new SaleEngineRegistry(new InProcessStockAuthority(), new FakeOrderJournal(), options, time);
        var ending = Sale(startsAt: Epoch, endsAt: Epoch.AddMinutes(10));
        var running = Sale(startsAt: Epoch, endsAt: Epoch.AddDays(1));
        var ended = registry.GetOrCreate(ending);
        registry.GetOrCreate(running);

        time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await registry.RetireEndedAsync());

        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, await registry.RetireEndedAsync());
        Assert.False(registry.TryGet(ending.SaleId, out _));
        Assert.True(registry.TryGet(running.SaleId, out _));

        // A caller still holding the retired engine gets a clear answer, not a hang.
        Assert.Equal(PurchaseStatus.SaleNotActive, (await ended.SubmitAsync(Request(ending, Guid.NewGuid(), "late"))).Status);
    }

    [Fact]
    public async Task Sweep_timer_retires_ended_sales_on_its_own()
    {
        var time = new FakeTimeProvider(Epoch);
        var options = Options();
        options.RetireAfterEnd = TimeSpan.Zero;
        options.RetirementSweepInterval = TimeSpan.FromSeconds(30);
        await using var registry = new SaleEngineRegistry(new InProcessStockAuthority(), new FakeOrderJournal(), options, time);
        registry.GetOrCreate(Sale(startsAt: Epoch, endsAt: Epoch.AddSeconds(10)));

        time.Advance(TimeSpan.FromSeconds(30));

        await Eventually(() => registry.Count == 0, "the sweep retired the ended sale");
    }

    [Fact]
    public async Task Retiring_completes_what_the_engine_had_queued()
    {
        var time = new FakeTimeProvider(Epoch);
        var options = Options();
        options.RetireAfterEnd = TimeSpan.Zero;
        var inner = new InProcessStockAuthority();
        var sale = Sale(stock: 100, perUserLimit: 100, startsAt: Epoch, endsAt: Epoch.AddMinutes(1));
        await inner.EnsureInitializedAsync(sale, default);
        var authority = new ObservedAuthority(inner);
        var journal = new FakeOrderJournal();
        await using var registry = new SaleEngineRegistry(authority, journal, options, time);

        var entered = authority.HoldNextBatch();
        var answers = new List<Task<PurchaseDecision>> { registry.SubmitAsync(sale, Request(sale, Guid.NewGuid(), "first")).AsTask() };
        await entered;
        answers.AddRange(Enumerable.Range(0, 10).Select(i => registry.SubmitAsync(sale, Request(sale, Guid.NewGuid(), $"k{i}")).AsTask()));

        time.Advance(TimeSpan.FromMinutes(1));
        var retiring = registry.RetireEndedAsync().AsTask();
        authority.Release();

        Assert.Equal(1, await retiring);
        var decisions = await Task.WhenAll(answers);
        Assert.Equal(PurchaseStatus.Accepted, decisions[0].Status);
        // The queued ones were decided after the end: the authority refuses them, nothing is left hanging.
        Assert.All(decisions.Skip(1), d => Assert.Equal(PurchaseStatus.SaleNotActive, d.Status));
    }

    [Fact]
    public async Task Dispose_drains_every_engine_and_refuses_new_engines()
    {
        var inner = new InProcessStockAuthority();
        var authority = new ObservedAuthority(inner);
        var journal = new FakeOrderJournal();
        var registry = new SaleEngineRegistry(authority, journal, Options());
        var sales = Enumerable.Range(0, 3).Select(_ => Sale(stock: 50, perUserLimit: 50)).ToArray();

        var answers = sales.SelectMany(s => Enumerable.Range(0, 20).Select(i => registry.SubmitAsync(s, Request(s, Guid.NewGuid(), $"k{i}")).AsTask())).ToArray();
        await registry.DisposeAsync();

        // Every queued order was decided and committed before DisposeAsync returned. (The answers themselves reach
        // their awaiters through the thread pool, a moment later.)
        Assert.Equal(60, journal.Rows.Count);
        var decisions = await Task.WhenAll(answers).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Throws<ObjectDisposedException>(() => registry.GetOrCreate(Sale()));
    }

    [Fact]
    public async Task Every_option_the_registry_is_given_reaches_its_engines()
    {
        // Three batches committing at once: the engines must get CommitsInFlight = 3 (a hand copy of the options once
        // dropped it and every engine ran with the default of 2).
        var sale = Sale(stock: 100, perUserLimit: 5);
        var inner = new InProcessStockAuthority();
        await inner.EnsureInitializedAsync(sale, default);
        var journal = new CommitsInFlightTests.HeldJournal();
        var options = Options() with { CommitsInFlight = 3 };
        await using var registry = new SaleEngineRegistry(inner, journal, options);

        var answers = new List<Task<PurchaseDecision>>();
        for (var i = 1; i <= 3; i++)
        {
            answers.Add(registry.SubmitAsync(sale, Request(sale, Guid.NewGuid(), $"k{i}")).AsTask());
            await journal.WaitForCalls(i);
        }

        Assert.Equal(options, registry.Options);
        for (var i = 0; i < 3; i++)
        {
            journal.Release(i);
        }
        Assert.All(await Task.WhenAll(answers), d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
    }
}
