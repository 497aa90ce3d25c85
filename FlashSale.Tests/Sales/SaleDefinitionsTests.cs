using FlashSale.Host.Sales;
using Microsoft.Extensions.Time.Testing;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Sales;

/// <summary>
/// The purchase path's cache of sale definitions: a stale entry is served while ONE reload runs, and a sale nobody
/// asked for yet is loaded once however many requests want it at the same moment.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class SaleDefinitionsTests
{
    private static readonly DateTime Now = new(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc);

    private static Sale SaleAt(Guid id, decimal price) =>
        new(id, Guid.NewGuid(), "Product", price, 100m, 10, 1, Now.AddHours(-1), Now.AddHours(1), 600, false, 50, 120, Now, Now);

    /// <summary>
    /// A sale loaded at 9.99 and then left older than MaxAge (another host changed it meanwhile, as far as this cache
    /// knows): the loader has been called once and its next call is held.
    /// </summary>
    private static async Task<(Guid Id, SaleDefinitions Definitions, HeldLoader Loader)> CachedThenStaleAsync()
    {
        var id = Guid.NewGuid();
        var time = new FakeTimeProvider(Now);
        var loader = new HeldLoader();
        var definitions = new SaleDefinitions(loader.LoadAsync, time);
        var first = definitions.FindAsync(id, CancellationToken.None).AsTask();
        loader.Answer(SaleAt(id, 9.99m));
        Assert.Equal(999, (await first)!.UnitPriceCents);
        time.Advance(SaleDefinitions.MaxAge + TimeSpan.FromMilliseconds(1));
        return (id, definitions, loader);
    }

    /// <summary>The price a request gets right now without waiting, or null when it would have to wait.</summary>
    private static long? PriceNow(SaleDefinitions definitions, Guid id)
    {
        var value = definitions.FindAsync(id, CancellationToken.None);
        return value.IsCompletedSuccessfully ? value.Result!.UnitPriceCents : null;
    }

    /// <summary>A loader whose calls are counted and each held until the test releases it.</summary>
    private sealed class HeldLoader
    {
        private TaskCompletionSource<Sale?> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public Task<Sale?> LoadAsync(Guid _, CancellationToken __)
        {
            Interlocked.Increment(ref _calls);
            return Volatile.Read(ref _next).Task;
        }

        /// <summary>Answers the load in flight (or the next one) and arms a fresh gate for the one after.</summary>
        public void Answer(Sale? sale) =>
            Interlocked.Exchange(ref _next, new TaskCompletionSource<Sale?>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(sale);

        public void Fail() =>
            Interlocked.Exchange(ref _next, new TaskCompletionSource<Sale?>(TaskCreationOptions.RunContinuationsAsynchronously))
                .TrySetException(new InvalidOperationException("database down (test)"));
    }

    [Fact]
    public async Task Concurrent_first_requests_for_a_sale_share_one_load()
    {
        var id = Guid.NewGuid();
        var loader = new HeldLoader();
        var definitions = new SaleDefinitions(loader.LoadAsync, new FakeTimeProvider(Now));

        var waiting = Enumerable.Range(0, 50).Select(_ => definitions.FindAsync(id, CancellationToken.None).AsTask()).ToArray();
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        loader.Answer(SaleAt(id, 9.99m));

        Assert.All(await Task.WhenAll(waiting), d => Assert.Equal(999, d!.UnitPriceCents));
        Assert.Equal(1, loader.Calls);
    }

    [Fact]
    public async Task A_stale_definition_is_served_at_once_while_a_single_reload_runs()
    {
        var (id, definitions, loader) = await CachedThenStaleAsync();

        var during = Enumerable.Range(0, 50).Select(_ => definitions.FindAsync(id, CancellationToken.None)).ToArray();

        Assert.All(during, v => Assert.True(v.IsCompletedSuccessfully));
        Assert.All(during, v => Assert.Equal(999, v.Result!.UnitPriceCents));
        Assert.Equal(2, loader.Calls);

        loader.Answer(SaleAt(id, 12.50m));
        await Eventually(() => PriceNow(definitions, id) == 1250, "the reload landed");
        Assert.Equal(2, loader.Calls);
    }

    [Fact]
    public async Task A_failed_reload_keeps_the_stale_definition_and_the_next_stale_request_tries_again()
    {
        var (id, definitions, loader) = await CachedThenStaleAsync();
        Assert.Equal(999, (await definitions.FindAsync(id, CancellationToken.None))!.UnitPriceCents);
        loader.Fail();
        await Eventually(() =>
        {
            // Each call after the failure may start the next reload; the stale value keeps being served meanwhile.
            return PriceNow(definitions, id) == 999 && loader.Calls == 3;
        }, "a second reload after the failed one");
        loader.Answer(SaleAt(id, 12.50m));
        await Eventually(() => PriceNow(definitions, id) == 1250, "the retry landed");
    }

    [Fact]
    public async Task An_unknown_sale_is_looked_up_again_once_its_entry_expires_and_the_caller_waits_for_it()
    {
        var id = Guid.NewGuid();
        var time = new FakeTimeProvider(Now);
        var loader = new HeldLoader();
        var definitions = new SaleDefinitions(loader.LoadAsync, time);
        var first = definitions.FindAsync(id, CancellationToken.None).AsTask();
        loader.Answer(null);
        Assert.Null(await first);
        Assert.Null(await definitions.FindAsync(id, CancellationToken.None));
        Assert.Equal(1, loader.Calls);

        // The sale was created on another host: once the "unknown" entry expires, the next request waits for the load.
        time.Advance(SaleDefinitions.MaxAge + TimeSpan.FromMilliseconds(1));
        var after = definitions.FindAsync(id, CancellationToken.None).AsTask();
        Assert.False(after.IsCompleted);
        loader.Answer(SaleAt(id, 5m));
        Assert.Equal(500, (await after)!.UnitPriceCents);
    }
}
