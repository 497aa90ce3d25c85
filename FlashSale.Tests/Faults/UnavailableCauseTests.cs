using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Tests.Engine;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Faults;

/// <summary>The engine meter says why shoppers got a 503: one count per request, tagged with its cause.</summary>
[Trait("Category", TestCategory.Unit)]
[Collection(FaultTests.Name)]
public sealed class UnavailableCauseTests
{
    [Fact]
    public async Task Every_503_the_engine_answers_is_counted_once_under_its_cause()
    {
        using var counts = new UnavailableCounts();
        var sale = Sale(stock: 1_000, perUserLimit: 1_000);
        var inner = new InProcessStockAuthority();
        await inner.EnsureInitializedAsync(sale, default);
        var authority = new ObservedAuthority(inner);
        var journal = new FakeOrderJournal();
        var engine = new SaleEngine(sale, authority, journal, Options(queueCapacity: 16));
        var buyer = Guid.NewGuid();
        var n = 0;
        Task<PurchaseDecision> Buy() => engine.SubmitAsync(Request(sale, buyer, $"k{n++}")).AsTask();

        // A full queue: 16 wait behind a held batch, 3 more are turned away.
        var held = authority.HoldNextBatch();
        var first = Buy();
        await held;
        var queued = Enumerable.Range(0, 16).Select(_ => Buy()).ToList();
        var overloaded = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => Buy()));
        authority.Release();
        await Task.WhenAll([first, .. queued]);
        Assert.All(overloaded, d => Assert.Equal(PurchaseStatus.Overloaded, d.Status));

        // The authority fails: nothing decided.
        authority.DecideFailure = () => new TimeoutException("Redis (test)");
        Assert.Equal(PurchaseStatus.Unavailable, (await Buy()).Status);
        Assert.Equal(PurchaseStatus.Unavailable, (await Buy()).Status);
        authority.DecideFailure = null;

        // The journal fails: decided, not confirmed.
        journal.Failing = true;
        var notCommitted = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Buy()));
        Assert.All(notCommitted, d => Assert.Equal(PurchaseStatus.Unavailable, d.Status));
        // A rebuild moved the sale's epoch while a batch committed: fenced off, not PostgreSQL failing.
        journal.Failure = () => new SaleEpochMovedException(sale.SaleId, 1, 2);
        var fenced = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Buy()));
        Assert.All(fenced, d => Assert.Equal(PurchaseStatus.Unavailable, d.Status));
        journal.Failing = false;

        // The host stops.
        await engine.DisposeAsync();
        Assert.Equal(PurchaseStatus.Unavailable, (await Buy()).Status);

        Assert.Equal(3, counts["overloaded"]);
        Assert.Equal(2, counts["authority"]);
        Assert.Equal(4, counts["journal"]);
        Assert.Equal(2, counts["fenced"]);
        Assert.Equal(1, counts["stopping"]);
        Assert.Equal(12, counts.Total);
    }
}
