using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using Microsoft.Extensions.Time.Testing;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Engine;

[Trait("Category", TestCategory.Unit)]
public sealed class SaleEngineTests
{
    private static async Task<(SaleEngine Engine, ObservedAuthority Authority, FakeOrderJournal Journal, InProcessStockAuthority Inner)> Start(
        SaleDefinition sale, SaleEngineOptions? options = null, TimeProvider? time = null, bool initialise = true)
    {
        var inner = new InProcessStockAuthority();
        if (initialise)
        {
            await inner.EnsureInitializedAsync(sale, default);
        }

        var authority = new ObservedAuthority(inner);
        var journal = new FakeOrderJournal();
        return (new SaleEngine(sale, authority, journal, options ?? Options(), time), authority, journal, inner);
    }

    [Fact]
    public async Task Requests_queued_while_the_loop_is_busy_are_decided_and_committed_as_one_batch()
    {
        var sale = Sale(stock: 1_000, perUserLimit: 1);
        var (engine, authority, journal, _) = await Start(sale);
        await using var _ = engine;

        var entered = authority.HoldNextBatch();
        var first = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "first")).AsTask();
        await entered;

        var requests = Enumerable.Range(0, 50).Select(i => Request(sale, Guid.NewGuid(), $"k{i}")).ToArray();
        var pending = requests.Select(r => engine.SubmitAsync(r).AsTask()).ToArray();
        Assert.Equal(50, engine.QueuedCount);
        Assert.All(pending, t => Assert.False(t.IsCompleted));

        authority.Release();
        var decisions = await Task.WhenAll(pending);
        Assert.Equal(PurchaseStatus.Accepted, (await first).Status);

        Assert.Equal(new[] { 1, 50 }, authority.BatchSizes);
        Assert.Equal(new[] { 1, 50 }, journal.BatchSizes);
        for (var i = 0; i < requests.Length; i++)
        {
            Assert.Equal(PurchaseStatus.Accepted, decisions[i].Status);
            Assert.Equal(requests[i].OrderId, decisions[i].OrderId);
            Assert.Equal(sale.UnitPriceCents, decisions[i].UnitPriceCents);
            Assert.True(journal.Rows.ContainsKey(requests[i].OrderId));
        }

        Assert.Equal(0, engine.QueuedCount);
        Assert.Equal(1_000 - 51, engine.LastKnownRemainingStock);
    }

    [Fact]
    public async Task Accepted_answer_waits_for_the_journal_commit()
    {
        var sale = Sale();
        var inner = new InProcessStockAuthority();
        await inner.EnsureInitializedAsync(sale, default);
        var journal = new GatedJournal();
        await using var engine = new SaleEngine(sale, inner, journal, Options());

        var answer = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "k")).AsTask();
        await journal.Entered;
        await Task.Delay(20);
        Assert.False(answer.IsCompleted);

        journal.Release();
        Assert.Equal(PurchaseStatus.Accepted, (await answer).Status);
    }

    [Fact]
    public async Task Full_queue_answers_Overloaded_immediately_without_blocking()
    {
        var sale = Sale(stock: 100, perUserLimit: 100);
        var (engine, authority, journal, _) = await Start(sale, Options(queueCapacity: 4, batchLimit: 4));
        await using var _ = engine;

        var entered = authority.HoldNextBatch();
        var inLoop = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "in-loop")).AsTask();
        await entered;

        var queued = Enumerable.Range(0, 4).Select(i => engine.SubmitAsync(Request(sale, Guid.NewGuid(), $"q{i}")).AsTask()).ToArray();
        var refused = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "one-too-many")).AsTask();

        // Answered synchronously, before any await: the producer never waits for room.
        Assert.True(refused.IsCompletedSuccessfully);
        Assert.Equal(PurchaseStatus.Overloaded, (await refused).Status);
        Assert.Equal(4, engine.QueuedCount);

        authority.Release();
        Assert.Equal(PurchaseStatus.Accepted, (await inLoop).Status);
        Assert.All(await Task.WhenAll(queued), d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Equal(5, journal.Rows.Count);

        // Capacity is given back once the loop takes the batch.
        Assert.Equal(PurchaseStatus.Accepted, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "later"))).Status);
    }

    [Fact]
    public async Task Sale_not_yet_started_is_refused_by_the_authority_and_opens_with_the_clock()
    {
        var time = new FakeTimeProvider(Epoch);
        var sale = Sale(startsAt: Epoch.AddMinutes(5), endsAt: Epoch.AddMinutes(10));
        var (engine, authority, journal, _) = await Start(sale, time: time);
        await using var _ = engine;

        var early = await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "early"));
        // The authority decides the window (Redis on its own clock), so the engine asks it rather than its host's clock.
        Assert.Equal(PurchaseStatus.SaleNotActive, early.Status);
        Assert.Equal(1, authority.DecideCalls);
        Assert.Empty(journal.Rows);

        time.Advance(TimeSpan.FromMinutes(5));
        var opened = await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "on-time"));
        Assert.Equal(PurchaseStatus.Accepted, opened.Status);
        Assert.Equal(Epoch.AddMinutes(5).ToUnixTimeMilliseconds(), opened.CreatedAtUnixMs);
        Assert.Single(journal.Rows);
    }

    [Fact]
    public async Task Ended_sale_refuses_new_keys_but_a_replay_of_an_accepted_key_still_gets_its_order()
    {
        var time = new FakeTimeProvider(Epoch);
        var sale = Sale(startsAt: Epoch, endsAt: Epoch.AddMinutes(10));
        var (engine, _, _, _) = await Start(sale, time: time);
        await using var _ = engine;
        var user = Guid.NewGuid();

        var accepted = await engine.SubmitAsync(Request(sale, user, "bought-in-time"));
        Assert.Equal(PurchaseStatus.Accepted, accepted.Status);

        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Equal(PurchaseStatus.SaleNotActive, (await engine.SubmitAsync(Request(sale, user, "too-late"))).Status);

        var replay = await engine.SubmitAsync(Request(sale, user, "bought-in-time"));
        Assert.Equal(accepted with { Replayed = true }, replay);
    }

    [Fact]
    public async Task Quantity_below_one_is_refused_locally()
    {
        var sale = Sale();
        var (engine, authority, _, _) = await Start(sale);
        await using var _ = engine;

        Assert.Equal(PurchaseStatus.InvalidQuantity, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "zero", quantity: 0))).Status);
        Assert.Equal(PurchaseStatus.InvalidQuantity, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "neg", quantity: -3))).Status);
        Assert.Equal(0, authority.DecideCalls);
    }

    [Fact]
    public async Task Authority_failure_answers_Unavailable_for_the_whole_batch_and_commits_nothing()
    {
        var sale = Sale(stock: 100, perUserLimit: 100);
        var faults = 0;
        var options = Options();
        options.OnFault = (_, _) => Interlocked.Increment(ref faults);
        var (engine, authority, journal, inner) = await Start(sale, options);
        await using var _ = engine;

        var entered = authority.HoldNextBatch();
        var blocker = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "blocker")).AsTask();
        await entered;
        authority.DecideFailure = () => new TimeoutException("redis timeout (test)");
        var batch = Enumerable.Range(0, 10).Select(i => engine.SubmitAsync(Request(sale, Guid.NewGuid(), $"k{i}")).AsTask()).ToArray();
        authority.Release();

        Assert.Equal(PurchaseStatus.Unavailable, (await blocker).Status);
        Assert.All(await Task.WhenAll(batch), d => Assert.Equal(PurchaseStatus.Unavailable, d.Status));
        Assert.Empty(journal.Rows);
        Assert.Equal(100, await inner.GetRemainingStockAsync(sale.SaleId, default));
        Assert.True(Volatile.Read(ref faults) >= 2);

        // The loop survives: once the authority is back the next request is served.
        authority.DecideFailure = null;
        Assert.Equal(PurchaseStatus.Accepted, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "after"))).Status);
    }

    [Fact]
    public async Task Journal_failure_answers_Unavailable_and_a_replay_of_the_key_later_commits_the_same_order()
    {
        var sale = Sale();
        var (engine, _, journal, _) = await Start(sale);
        await using var _ = engine;
        var user = Guid.NewGuid();

        journal.Failing = true;
        var first = Request(sale, user, "retry-me");
        Assert.Equal(PurchaseStatus.Unavailable, (await engine.SubmitAsync(first)).Status);
        Assert.Equal(1, journal.FailedCalls);
        Assert.Empty(journal.Rows);

        journal.Failing = false;
        // The host mints a fresh order id for the retry; the authority's recorded order must win.
        var retry = Request(sale, user, "retry-me");
        var decision = await engine.SubmitAsync(retry);

        Assert.Equal(PurchaseStatus.Accepted, decision.Status);
        Assert.True(decision.Replayed);
        Assert.Equal(first.OrderId, decision.OrderId);
        var row = Assert.Single(journal.Rows.Values);
        Assert.Equal(first.OrderId, row.OrderId);
        Assert.Equal("retry-me", row.IdempotencyKey);
        Assert.Equal(decision.CreatedAtUnixMs + (sale.PaymentWindowSeconds * 1000L), row.ExpiresAtUnixMs);
    }

    [Fact]
    public async Task Missing_sale_state_is_initialised_and_the_batch_decided_again()
    {
        var sale = Sale(stock: 7);
        var (engine, authority, journal, inner) = await Start(sale, initialise: false);
        await using var _ = engine;

        var decision = await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "k"));

        Assert.Equal(PurchaseStatus.Accepted, decision.Status);
        Assert.Equal(1, authority.EnsureCalls);
        Assert.Equal(2, authority.DecideCalls);
        Assert.Single(journal.Rows);
        Assert.Equal(6, await inner.GetRemainingStockAsync(sale.SaleId, default));
    }

    [Fact]
    public async Task Sale_state_still_missing_after_initialising_answers_Unavailable()
    {
        var sale = Sale();
        var authority = new ObservedAuthority(new InProcessStockAuthority())
        {
            DecideFailure = () => new SaleStateMissingException(sale.SaleId),
        };
        var journal = new FakeOrderJournal();
        await using var engine = new SaleEngine(sale, authority, journal, Options());

        Assert.Equal(PurchaseStatus.Unavailable, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "k"))).Status);
        Assert.Equal(1, authority.EnsureCalls);
        Assert.Equal(2, authority.DecideCalls);
        Assert.Empty(journal.Rows);
    }

    [Fact]
    public async Task One_key_fired_20_times_concurrently_yields_one_order_and_20_identical_answers()
    {
        var sale = Sale(stock: 10, perUserLimit: 5);
        var (engine, _, journal, inner) = await Start(sale);
        await using var _ = engine;
        var user = Guid.NewGuid();

        using var start = new ManualResetEventSlim();
        var shots = Enumerable.Range(0, 20).Select(_ => Task.Run(async () =>
        {
            start.Wait();
            return await engine.SubmitAsync(Request(sale, user, "same-key", quantity: 2));
        })).ToArray();
        start.Set();
        var decisions = await Task.WhenAll(shots);

        Assert.All(decisions, d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Single(decisions, d => !d.Replayed);
        var original = decisions.Single(d => !d.Replayed);
        Assert.All(decisions, d => Assert.Equal(original, d with { Replayed = false }));
        Assert.Equal(original.OrderId, Assert.Single(journal.Rows.Keys));
        Assert.Equal(8, await inner.GetRemainingStockAsync(sale.SaleId, default));
    }

    [Fact]
    public async Task Known_sold_out_fast_fail_skips_the_authority_yet_replays_and_returned_units_still_work()
    {
        var time = new FakeTimeProvider(Epoch);
        var sale = Sale(stock: 1, perUserLimit: 1, startsAt: Epoch, endsAt: Epoch.AddHours(1));
        var (engine, authority, journal, inner) = await Start(sale, Options(knownSoldOutTtl: TimeSpan.FromSeconds(1)), time);
        await using var _ = engine;
        var buyer = Guid.NewGuid();

        var bought = await engine.SubmitAsync(Request(sale, buyer, "buy"));
        Assert.Equal(PurchaseStatus.Accepted, bought.Status);
        Assert.Equal(0, engine.LastKnownRemainingStock);
        var calls = authority.DecideCalls;

        var refused = await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "late"));
        Assert.Equal(PurchaseStatus.SoldOut, refused.Status);
        Assert.Equal(calls, authority.DecideCalls);

        // A key this engine saw accepted is never fast-failed.
        Assert.Equal(bought with { Replayed = true }, await engine.SubmitAsync(Request(sale, buyer, "buy")));
        Assert.Equal(calls + 1, authority.DecideCalls);

        // Units come back (expiry): the notification drops "sold out" before the next batch.
        Assert.True(await inner.ReturnUnitsAsync(sale.SaleId, bought.OrderId, buyer, 1, default));
        engine.NotifyUnitsReturned();
        var secondBuyer = Guid.NewGuid();
        var resold = await engine.SubmitAsync(Request(sale, secondBuyer, "second-chance"));
        Assert.Equal(PurchaseStatus.Accepted, resold.Status);

        // Without a notification (units returned on another host) the knowledge expires with its TTL.
        Assert.Equal(PurchaseStatus.SoldOut, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "x"))).Status);
        var fastFailCalls = authority.DecideCalls;
        Assert.Equal(PurchaseStatus.SoldOut, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "y"))).Status);
        Assert.Equal(fastFailCalls, authority.DecideCalls);
        Assert.True(await inner.ReturnUnitsAsync(sale.SaleId, resold.OrderId, secondBuyer, 1, default));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PurchaseStatus.Accepted, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "z"))).Status);
        Assert.Equal(3, journal.Rows.Count);
    }

    [Fact]
    public async Task Without_fast_fail_a_replay_of_a_key_accepted_on_another_host_gets_its_order_after_sold_out()
    {
        var sale = Sale(stock: 1, perUserLimit: 1);
        var authority = new InProcessStockAuthority();
        await authority.EnsureInitializedAsync(sale, default);
        var journal = new FakeOrderJournal();
        await using var hostA = new SaleEngine(sale, authority, journal, Options());
        await using var hostB = new SaleEngine(sale, authority, journal, Options());
        var buyer = Guid.NewGuid();

        var bought = await hostA.SubmitAsync(Request(sale, buyer, "k"));
        Assert.Equal(PurchaseStatus.SoldOut, (await hostB.SubmitAsync(Request(sale, Guid.NewGuid(), "other"))).Status);
        Assert.Equal(bought with { Replayed = true }, await hostB.SubmitAsync(Request(sale, buyer, "k")));
    }

    [Fact]
    public async Task Dispose_decides_and_commits_everything_already_queued_then_refuses()
    {
        var sale = Sale(stock: 100, perUserLimit: 100);
        var (engine, authority, journal, _) = await Start(sale);

        var entered = authority.HoldNextBatch();
        var all = new List<Task<PurchaseDecision>> { engine.SubmitAsync(Request(sale, Guid.NewGuid(), "a")).AsTask() };
        await entered;
        all.AddRange(Enumerable.Range(0, 20).Select(i => engine.SubmitAsync(Request(sale, Guid.NewGuid(), $"k{i}")).AsTask()));

        var disposing = engine.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);
        Assert.Equal(PurchaseStatus.Unavailable, (await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "after-stop"))).Status);

        authority.Release();
        await disposing;
        Assert.All(await Task.WhenAll(all), d => Assert.Equal(PurchaseStatus.Accepted, d.Status));
        Assert.Equal(21, journal.Rows.Count);
    }

    [Fact]
    public async Task Request_for_another_sale_is_rejected_as_a_programming_error()
    {
        var sale = Sale();
        var (engine, _, _, _) = await Start(sale);
        await using var _ = engine;

        await Assert.ThrowsAsync<ArgumentException>(async () => await engine.SubmitAsync(Request(Sale(), Guid.NewGuid(), "k")));
    }

    [Fact]
    public async Task Cancelled_token_before_queueing_cancels_without_deciding()
    {
        var sale = Sale();
        var (engine, authority, _, _) = await Start(sale);
        await using var _ = engine;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await engine.SubmitAsync(Request(sale, Guid.NewGuid(), "k"), new CancellationToken(canceled: true)));
        Assert.Equal(0, authority.DecideCalls);
    }

    private sealed class GatedJournal : IOrderJournal
    {
        private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Entered => _entered.Task;

        public void Release() => _gate.TrySetResult();

        public async ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
        {
            _entered.TrySetResult();
            await _gate.Task;
        }
    }
}
