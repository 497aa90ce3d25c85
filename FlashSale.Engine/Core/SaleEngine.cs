using System.Collections.Concurrent;

namespace FlashSale.Engine.Core;

/// <summary>
/// The purchase pipeline of one sale on one host. Producers (HTTP requests) hand requests to a bounded intake
/// (a channel, see <see cref="BoundedIntake{T}"/>); exactly one loop drains whatever is queued (up to the batch
/// limit), refuses locally what can be refused without the authority, decides the rest with ONE
/// <see cref="IStockAuthority.DecideAsync"/> call, commits every accepted order with ONE
/// <see cref="IOrderJournal.CommitAsync"/> call and only then answers those requests Accepted. While a batch's
/// orders commit, the loop already decides the next batch in another set of buffers
/// (<see cref="SaleEngineOptions.CommitsInFlight"/>), so a turn costs the longer of the authority call and the commit,
/// not their sum. All mutable state below is owned by that loop; producers only touch the intake and the pool, and a
/// commit's continuation only the batch it answers.
/// </summary>
public sealed class SaleEngine : IAsyncDisposable
{
    private readonly IStockAuthority _authority;
    private readonly IOrderJournal _journal;
    private readonly TimeProvider _time;
    private readonly Action<Guid, Exception>? _onFault;
    private readonly Action<Guid>? _onStockChanged;
    private readonly BoundedIntake<PurchaseOperation> _intake;
    private readonly ConcurrentQueue<PurchaseOperation> _pool = new();
    private readonly long _knownSoldOutTtlMs;
    private readonly Task _loop;

    // Replaced by an admin PATCH from any thread; the loop reads it once per batch. A reference swap needs no lock.
    private SaleDefinition _sale;

    // Bumped by NotifyUnitsReturned from any thread; the loop compares it with the value it last saw.
    private int _returnsSignal;
    private int _lastRemaining = -1;
    private int _disposed;

    // ---- loop-owned state ----
    // Batch buffers, used in turn: while one batch's orders commit, the loop decides the next in another.
    private readonly EngineBatch[] _batches;
    // Keys this engine saw accepted: they are never fast-failed as SoldOut, so a retry of an accepted order always
    // reaches the authority and gets its order back. Filled only when the fast-fail is on; bounded by orders.
    private readonly HashSet<UserIdempotencyKey> _acceptedKeys = [];
    private long _soldOutUntilMs;
    private int _returnsSeen;

    public SaleEngine(
        SaleDefinition sale,
        IStockAuthority authority,
        IOrderJournal journal,
        SaleEngineOptions options,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(sale);
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        _sale = sale;
        SaleId = sale.SaleId;
        _authority = authority;
        _journal = journal;
        _time = timeProvider ?? TimeProvider.System;
        _onFault = options.OnFault;
        _onStockChanged = options.OnStockChanged;
        _knownSoldOutTtlMs = (long)options.KnownSoldOutTtl.TotalMilliseconds;
        _intake = new BoundedIntake<PurchaseOperation>(options.QueueCapacity);

        _batches = new EngineBatch[options.CommitsInFlight];
        for (var i = 0; i < _batches.Length; i++)
        {
            _batches[i] = new EngineBatch(options.BatchLimit);
        }

        // Task.Run so the loop never starts on a caller's synchronization context.
        _loop = Task.Run(RunAsync);
    }

    public Guid SaleId { get; }

    /// <summary>The definition the next batch is decided with.</summary>
    public SaleDefinition Sale => Volatile.Read(ref _sale);

    /// <summary>Requests queued and not yet taken by the loop.</summary>
    public int QueuedCount => _intake.Count;

    /// <summary>Remaining stock the authority last reported to this engine, or -1 before the first decision.</summary>
    public int LastKnownRemainingStock => Volatile.Read(ref _lastRemaining);

    /// <summary>
    /// Queues a purchase and returns its answer once decided (and, when accepted, committed). Never blocks: a full
    /// queue answers <see cref="PurchaseStatus.Overloaded"/> synchronously. The token is only honoured before the
    /// request is queued; a queued request is always decided, because its units may already be reserved.
    /// The returned ValueTask must be awaited exactly once (its awaiter is pooled).
    /// </summary>
    public ValueTask<PurchaseDecision> SubmitAsync(in PurchaseRequest request, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<PurchaseDecision>(cancellationToken);
        }

        if (request.SaleId != SaleId)
        {
            throw new ArgumentException($"Request is for sale {request.SaleId}, this engine runs sale {SaleId}.", nameof(request));
        }

        if (!_pool.TryDequeue(out var operation))
        {
            operation = new PurchaseOperation(_pool);
        }

        operation.Request = request;
        switch (_intake.TryWrite(operation))
        {
            case IntakeWriteResult.Written:
                return operation.AsValueTask();
            case IntakeWriteResult.Full:
                operation.Recycle();
                EngineMetrics.CountUnavailable(UnavailableCause.Overloaded, 1);
                return new ValueTask<PurchaseDecision>(PurchaseDecision.Refused(PurchaseStatus.Overloaded));
            default:
                // Retired or disposed engine: an ended sale is simply not active; otherwise the host is shutting down.
                operation.Recycle();
                if (_time.GetUtcNow() >= Sale.EndsAt)
                {
                    return new ValueTask<PurchaseDecision>(PurchaseDecision.Refused(PurchaseStatus.SaleNotActive));
                }
                EngineMetrics.CountUnavailable(UnavailableCause.Stopping, 1);
                return new ValueTask<PurchaseDecision>(PurchaseDecision.Refused(PurchaseStatus.Unavailable));
        }
    }

    /// <summary>Replaces the sale's definition (price or end changed); the next batch uses it.</summary>
    public void UpdateDefinition(SaleDefinition sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (sale.SaleId != SaleId)
        {
            throw new ArgumentException($"Definition is for sale {sale.SaleId}, this engine runs sale {SaleId}.", nameof(sale));
        }

        Volatile.Write(ref _sale, sale);
    }

    /// <summary>
    /// Tells the engine units came back (expiry, cancellation) so a known-sold-out state is dropped before the next
    /// batch and the authority is asked again. Safe from any thread.
    /// </summary>
    public void NotifyUnitsReturned() => Interlocked.Increment(ref _returnsSignal);

    /// <summary>Stops taking requests, decides and commits everything already queued, then ends the loop.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _intake.Close();
        }

        await _loop.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var next = 0;
        while (await _intake.WaitToReadAsync().ConfigureAwait(false))
        {
            var batch = _batches[next];
            // Its buffers are free once its last commit answered its callers (meanwhile the intake fills up, which
            // makes this batch bigger).
            await batch.Commit.ConfigureAwait(false);
            var count = _intake.TryReadBatch(batch.Operations);
            if (count == 0)
            {
                continue;
            }

            next = (next + 1) % _batches.Length;
            EngineMetrics.BatchSize.Record(count);
            try
            {
                await DecideBatchAsync(batch, count).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must survive anything: one bad batch may not strand every later shopper.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Fault(ex);
                EngineMetrics.CountUnavailable(UnavailableCause.Fault, batch.CompleteAllPending(count, PurchaseDecision.Refused(PurchaseStatus.Unavailable)));
            }
        }

        await AllCommitsAsync().ConfigureAwait(false);
    }

    /// <summary>Waits until every batch handed to the journal is committed (or failed) and answered.</summary>
    private async ValueTask AllCommitsAsync()
    {
        foreach (var batch in _batches)
        {
            await batch.Commit.ConfigureAwait(false);
        }
    }

    private async ValueTask DecideBatchAsync(EngineBatch batch, int count)
    {
        var sale = Volatile.Read(ref _sale);
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        // Read before deciding: a return that lands while this batch is with the authority must still clear a
        // sold-out state this batch is about to record.
        var returnsSignal = Volatile.Read(ref _returnsSignal);
        var soldOutFastFail = KnownSoldOut(nowMs, returnsSignal);
        var requests = batch.Requests;
        var decisions = batch.Decisions;

        // 1. Local refusals that cannot contradict anything the authority recorded; the others are forwarded, and
        // from here on slot s is request s and decision s of the authority call.
        var forwarded = 0;
        for (var taken = 0; taken < count; taken++)
        {
            ref readonly var request = ref batch.Operations[taken]!.Request;
            if (request.Quantity < 1)
            {
                batch.CompleteAt(taken, PurchaseDecision.Refused(PurchaseStatus.InvalidQuantity));
            }
            else if (soldOutFastFail && !_acceptedKeys.Contains(new UserIdempotencyKey(request.UserId, request.IdempotencyKey)))
            {
                batch.CompleteAt(taken, PurchaseDecision.Refused(PurchaseStatus.SoldOut, 0));
            }
            else
            {
                batch.Forward(taken, forwarded++);
            }
        }

        if (forwarded == 0)
        {
            return;
        }

        try
        {
            // 2. One authority call for the whole batch.
            if (!await TryDecideAsync(sale, batch, forwarded, nowMs).ConfigureAwait(false))
            {
                EngineMetrics.CountUnavailable(UnavailableCause.Authority,
                    batch.CompleteAllPending(forwarded, PurchaseDecision.Refused(PurchaseStatus.Unavailable)));
                return;
            }

            // 3. Refusals are final now; accepted orders wait for the journal.
            var accepted = 0;
            var sold = false;
            var remaining = -1;
            var paymentWindowMs = sale.PaymentWindowSeconds * 1000L;
            for (var slot = 0; slot < forwarded; slot++)
            {
                ref readonly var decision = ref decisions[slot];
                if (!decision.Replayed && decision.RemainingStock >= 0)
                {
                    remaining = decision.RemainingStock;
                }

                if (decision.Status != PurchaseStatus.Accepted)
                {
                    batch.CompleteAt(slot, decision);
                    continue;
                }

                // Accepted: the slot waits for the commit; its order goes to the journal in slot order.
                sold |= !decision.Replayed;
                ref readonly var request = ref requests[slot];
                // A replay carries the first order's id and time, so the journal writes (or skips) that same order.
                batch.Orders[accepted] = new AcceptedOrder(
                    decision.OrderId,
                    sale.SaleId,
                    request.UserId,
                    decision.Quantity,
                    decision.UnitPriceCents,
                    request.IdempotencyKey,
                    decision.CreatedAtUnixMs,
                    decision.CreatedAtUnixMs + paymentWindowMs,
                    decision.SaleEpoch);
                accepted++;
                if (_knownSoldOutTtlMs > 0)
                {
                    _acceptedKeys.Add(new UserIdempotencyKey(request.UserId, request.IdempotencyKey));
                }
            }

            if (sold)
            {
                StockChanged();
            }

            if (remaining >= 0)
            {
                Volatile.Write(ref _lastRemaining, remaining);
                _soldOutUntilMs = remaining == 0 && _knownSoldOutTtlMs > 0 ? nowMs + _knownSoldOutTtlMs : 0;
                _returnsSeen = returnsSignal;
            }

            if (accepted > 0)
            {
                // 4. One commit for every accepted order of the batch; its callers are answered when it returns (a
                // 201 means the order is in PostgreSQL), while the loop goes on with the next batch.
                batch.Commit = CommitAndAnswerAsync(batch, forwarded, accepted);
            }
        }
        finally
        {
            // Drop the batch's string references so keys do not outlive their requests in the reused buffers.
            Array.Clear(requests, 0, forwarded);
        }
    }

    /// <summary>
    /// Commits a batch's accepted orders and answers their callers: Accepted when the commit returned, Unavailable
    /// when it failed (the orders stay in the authority's log for the reconciler, and the same Idempotency-Key
    /// replays them later). Never throws.
    /// </summary>
    private async Task CommitAndAnswerAsync(EngineBatch batch, int forwarded, int accepted)
    {
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        var committed = true;
        try
        {
            await _journal.CommitAsync(batch.Orders.AsMemory(0, accepted), CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Any journal failure means "not committed"; see above.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            committed = false;
            // A fenced batch is not PostgreSQL failing: a rebuild of the sale's state moved its epoch meanwhile.
            EngineMetrics.CountUnavailable(ex is SaleEpochMovedException ? UnavailableCause.Fenced : UnavailableCause.Journal, accepted);
            Fault(ex);
        }

        EngineMetrics.CommitWait.Record(EngineMetrics.MillisecondsSince(start));
        var logged = batch.CompleteCommitted(forwarded, committed);

        // The committed orders' log entries are no longer needed (the reconciler would only find them in PostgreSQL).
        // Fire and forget, after the answers went out: a lost call leaves them to the reconciler.
        if (logged > 0)
        {
            ForgetCommitted(batch.CommittedPositions.AsSpan(0, logged));
        }

        Array.Clear(batch.Orders, 0, accepted);
    }

    private void ForgetCommitted(ReadOnlySpan<OrderLogPosition> positions)
    {
        try
        {
            _authority.OrdersCommitted(SaleId, positions);
        }
#pragma warning disable CA1031 // Dropping a log entry is an optimisation; its failure must not fail a committed batch.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fault(ex);
        }
    }

    private async ValueTask<bool> TryDecideAsync(SaleDefinition sale, EngineBatch batch, int forwarded, long nowMs)
    {
        var requests = new ReadOnlyMemory<PurchaseRequest>(batch.Requests, 0, forwarded);
        var decisions = new Memory<PurchaseDecision>(batch.Decisions, 0, forwarded);
        var start = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await _authority.DecideAsync(sale, requests, decisions, nowMs, CancellationToken.None).ConfigureAwait(false);
            EngineMetrics.AuthorityDuration.Record(EngineMetrics.MillisecondsSince(start));
            return true;
        }
        catch (SaleStateMissingException)
        {
            // The authority lost (or never had) the sale: rebuild it from the durable orders and decide once more.
        }
#pragma warning disable CA1031 // An authority failure of any kind answers the batch Unavailable; nothing was half-done.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fault(ex);
            return false;
        }

        try
        {
            // The rebuild reads the committed orders, so this engine's own orders still committing must land first.
            await AllCommitsAsync().ConfigureAwait(false);
            await _authority.EnsureInitializedAsync(sale, CancellationToken.None).ConfigureAwait(false);
            // The commits and the rebuild took time: decide on the clock as it is now, not as it was before the wait.
            nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
            await _authority.DecideAsync(sale, requests, decisions, nowMs, CancellationToken.None).ConfigureAwait(false);
            return true;
        }
#pragma warning disable CA1031
        catch (Exception ex)
#pragma warning restore CA1031
        {
            Fault(ex);
            return false;
        }
    }

    private bool KnownSoldOut(long nowMs, int returnsSignal)
    {
        if (_soldOutUntilMs == 0)
        {
            return false;
        }

        // Units came back (expiry, cancellation) since sold out was recorded: forget it and ask the authority again.
        if (returnsSignal != _returnsSeen)
        {
            _soldOutUntilMs = 0;
            return false;
        }

        // The knowledge expires so units returned on another host are sold again within the TTL.
        if (nowMs >= _soldOutUntilMs)
        {
            _soldOutUntilMs = 0;
            return false;
        }

        return true;
    }

    private void StockChanged()
    {
        try
        {
            _onStockChanged?.Invoke(SaleId);
        }
#pragma warning disable CA1031 // An observer that throws must not take the loop down with it.
        catch
#pragma warning restore CA1031
        {
        }
    }

    private void Fault(Exception exception)
    {
        try
        {
            _onFault?.Invoke(SaleId, exception);
        }
#pragma warning disable CA1031 // An observer that throws must not take the loop down with it.
        catch
#pragma warning restore CA1031
        {
        }
    }
}
