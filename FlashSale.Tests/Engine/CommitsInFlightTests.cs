using System.Collections.Concurrent;
using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using static FlashSale.Tests.Engine.EngineTestKit;

namespace FlashSale.Tests.Engine;

/// <summary>
/// The loop decides the next batch while earlier batches' orders commit (SaleEngineOptions.CommitsInFlight), and
/// still answers a batch's accepted callers only after that batch's own commit.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class CommitsInFlightTests
{
    private static async Task<(SaleEngine Engine, ObservedAuthority Authority, HeldJournal Journal)> Start(
        SaleDefinition sale, int commitsInFlight)
    {
        var inner = new InProcessStockAuthority();
        await inner.EnsureInitializedAsync(sale, default);
        var authority = new ObservedAuthority(inner);
        var journal = new HeldJournal();
        var options = Options();
        options.CommitsInFlight = commitsInFlight;
        return (new SaleEngine(sale, authority, journal, options), authority, journal);
    }

    [Fact]
    public async Task Next_batch_is_decided_and_answered_while_the_previous_batch_still_commits()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, authority, journal) = await Start(sale, commitsInFlight: 2);
        await using var _ = engine;

        var first = await SubmitUntilCommittingAsync(engine, journal, sale, "first", commitCalls: 1);
        var second = await SubmitUntilCommittingAsync(engine, journal, sale, "second", commitCalls: 2);

        Assert.Equal(2, authority.DecideCalls);
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        // The later commit finishing first answers its own caller only.
        journal.Release(1);
        Assert.Equal(PurchaseStatus.Accepted, (await second).Status);
        Assert.False(first.IsCompleted);

        journal.Release(0);
        Assert.Equal(PurchaseStatus.Accepted, (await first).Status);
    }

    [Fact]
    public async Task No_more_batches_than_the_limit_wait_for_their_commit_at_once()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, authority, journal) = await Start(sale, commitsInFlight: 2);
        await using var _ = engine;

        var a = await SubmitUntilCommittingAsync(engine, journal, sale, "a", commitCalls: 1);
        var b = await SubmitUntilCommittingAsync(engine, journal, sale, "b", commitCalls: 2);
        var c = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "c")).AsTask();
        var d = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "d")).AsTask();

        // Both buffers hold a batch waiting for PostgreSQL: c and d stay queued, undecided.
        await Task.Delay(50);
        Assert.Equal(2, authority.DecideCalls);
        Assert.Equal(2, engine.QueuedCount);

        // The first buffer frees up: c and d are decided together in it.
        journal.Release(0);
        await journal.WaitForCalls(3);
        Assert.Equal(new[] { 1, 1, 2 }, authority.BatchSizes);
        Assert.Equal(PurchaseStatus.Accepted, (await a).Status);

        journal.Release(1);
        journal.Release(2);
        Assert.All(await Task.WhenAll(b, c, d), decision => Assert.Equal(PurchaseStatus.Accepted, decision.Status));
    }

    [Fact]
    public async Task With_one_commit_in_flight_the_loop_decides_nothing_until_the_commit_returns()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, authority, journal) = await Start(sale, commitsInFlight: 1);
        await using var _ = engine;

        var first = await SubmitUntilCommittingAsync(engine, journal, sale, "first", commitCalls: 1);
        var second = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "second")).AsTask();

        await Task.Delay(50);
        Assert.Equal(1, authority.DecideCalls);

        journal.Release(0);
        Assert.Equal(PurchaseStatus.Accepted, (await first).Status);
        await journal.WaitForCalls(2);
        journal.Release(1);
        Assert.Equal(PurchaseStatus.Accepted, (await second).Status);
    }

    [Fact]
    public async Task Failed_commit_answers_only_its_own_batch_unavailable()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, _, journal) = await Start(sale, commitsInFlight: 2);
        await using var _ = engine;

        var first = await SubmitUntilCommittingAsync(engine, journal, sale, "first", commitCalls: 1);
        var second = await SubmitUntilCommittingAsync(engine, journal, sale, "second", commitCalls: 2);

        journal.Fail(0);
        journal.Release(1);
        Assert.Equal(PurchaseStatus.Unavailable, (await first).Status);
        Assert.Equal(PurchaseStatus.Accepted, (await second).Status);
    }

    [Fact]
    public async Task Rebuild_after_lost_authority_state_waits_for_the_commits_in_flight()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, authority, journal) = await Start(sale, commitsInFlight: 2);
        await using var _ = engine;

        var first = await SubmitUntilCommittingAsync(engine, journal, sale, "first", commitCalls: 1);

        // The authority loses the sale: the next batch must rebuild it from committed orders, which must include the
        // first batch's order, so the rebuild waits for that commit.
        authority.DecideFailure = () => new SaleStateMissingException(sale.SaleId);
        var second = engine.SubmitAsync(Request(sale, Guid.NewGuid(), "second")).AsTask();
        await Eventually(() => authority.DecideCalls == 2, "the second batch reached the authority");
        await Task.Delay(50);
        Assert.Equal(0, authority.EnsureCalls);

        authority.DecideFailure = null;
        journal.Release(0);
        Assert.Equal(PurchaseStatus.Accepted, (await first).Status);
        await Eventually(() => authority.EnsureCalls == 1, "the rebuild ran after the commit");
        await journal.WaitForCalls(2);
        journal.Release(1);
        Assert.Equal(PurchaseStatus.Accepted, (await second).Status);
    }

    [Fact]
    public async Task Dispose_waits_for_every_commit_in_flight()
    {
        var sale = Sale(stock: 100, perUserLimit: 5);
        var (engine, _, journal) = await Start(sale, commitsInFlight: 2);

        var first = await SubmitUntilCommittingAsync(engine, journal, sale, "first", commitCalls: 1);
        var disposed = engine.DisposeAsync().AsTask();

        await Task.Delay(50);
        Assert.False(disposed.IsCompleted);

        journal.Release(0);
        await disposed;
        Assert.Equal(PurchaseStatus.Accepted, (await first).Status);
    }

    /// <summary>Submits a purchase and waits until its batch is with the journal (the journal's n-th commit call).</summary>
    private static async Task<Task<PurchaseDecision>> SubmitUntilCommittingAsync(
        SaleEngine engine, HeldJournal journal, SaleDefinition sale, string key, int commitCalls)
    {
        var answer = engine.SubmitAsync(Request(sale, Guid.NewGuid(), key)).AsTask();
        await journal.WaitForCalls(commitCalls);
        return answer;
    }

    /// <summary>A journal whose every commit call waits until the test releases (or fails) that call.</summary>
    internal sealed class HeldJournal : IOrderJournal
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource> _calls = new();
        private int _count;

        public async Task WaitForCalls(int count) =>
            await Eventually(() => Volatile.Read(ref _count) >= count, $"{count} commit calls");

        public void Release(int call) => Gate(call).TrySetResult();

        public void Fail(int call) => Gate(call).TrySetException(new InvalidOperationException("commit failed (test)"));

        public async ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _count) - 1;
            await Gate(call).Task;
        }

        private TaskCompletionSource Gate(int call) =>
            _calls.GetOrAdd(call, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
