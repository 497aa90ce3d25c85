using System.Collections.Concurrent;

namespace FlashSale.Engine.Core;

/// <summary>
/// The purchase pipeline of one sale on one host. Producers (HTTP requests) hand requests to a bounded intake
/// (a channel, see <see cref="BoundedIntake{T}"/>); exactly one loop drains whatever is queued (up to the batch
/// limit), refuses locally what can be refused without the authority, decides the rest with ONE
/// <see cref="IStockAuthority.DecideAsync"/> call, commits every accepted order with ONE
/// <see cref="IOrderJournal.CommitAsync"/> call and only then answers those requests Accepted. All mutable state
/// below is owned by that loop; producers only touch the intake and the pool.
/// </summary>
public sealed class SaleEngine : IAsyncDisposable
{
    private readonly IStockAuthority _authority;
    private readonly IOrderJournal _journal;
    private readonly TimeProvider _time;
    private readonly Action<Guid, Exception>? _onFault;
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

    // ---- loop-owned state: buffers are reused by every batch so the steady state allocates nothing ----
    private readonly PurchaseOperation?[] _batch;
    private readonly PurchaseRequest[] _requests;
    private readonly int[] _forwardedFrom;
    private readonly PurchaseDecision[] _decisions;
    private readonly AcceptedOrder[] _orders;
    private readonly int[] _orderFrom;
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
        _knownSoldOutTtlMs = (long)options.KnownSoldOutTtl.TotalMilliseconds;
        _intake = new BoundedIntake<PurchaseOperation>(options.QueueCapacity);

        var batchLimit = options.BatchLimit;
        _batch = new PurchaseOperation?[batchLimit];
        _requests = new PurchaseRequest[batchLimit];
        _forwardedFrom = new int[batchLimit];
        _decisions = new PurchaseDecision[batchLimit];
        _orders = new AcceptedOrder[batchLimit];
        _orderFrom = new int[batchLimit];

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
                return new ValueTask<PurchaseDecision>(PurchaseDecision.Refused(PurchaseStatus.Overloaded));
            default:
                // Retired or disposed engine: an ended sale is simply not active; otherwise the host is shutting down.
                operation.Recycle();
                return new ValueTask<PurchaseDecision>(PurchaseDecision.Refused(
                    _time.GetUtcNow() >= Sale.EndsAt ? PurchaseStatus.SaleNotActive : PurchaseStatus.Unavailable));
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
        while (await _intake.WaitToReadAsync().ConfigureAwait(false))
        {
            var count = _intake.TryReadBatch(_batch);
            if (count == 0)
            {
                continue;
            }

            try
            {
                await DecideBatchAsync(count).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // The loop must survive anything: one bad batch may not strand every later shopper.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Fault(ex);
                CompleteAllPending(count, PurchaseDecision.Refused(PurchaseStatus.Unavailable));
            }
        }
    }

    private async ValueTask DecideBatchAsync(int count)
    {
        var sale = Volatile.Read(ref _sale);
        var now = _time.GetUtcNow();
        var nowMs = now.ToUnixTimeMilliseconds();
        // Read before deciding: a return that lands while this batch is with the authority must still clear a
        // sold-out state this batch is about to record.
        var returnsSignal = Volatile.Read(ref _returnsSignal);
        var soldOutFastFail = KnownSoldOut(nowMs, returnsSignal);

        // 1. Local refusals that cannot contradict anything the authority recorded.
        var forwarded = 0;
        for (var i = 0; i < count; i++)
        {
            ref readonly var request = ref _batch[i]!.Request;
            if (request.Quantity < 1)
            {
                CompleteAt(i, PurchaseDecision.Refused(PurchaseStatus.InvalidQuantity));
            }
            else if (now < sale.StartsAt)
            {
                // Nothing can have been accepted before the start, so no replay is contradicted. After the end the
                // batch still goes to the authority: a retry of an order accepted before the end must get its order.
                CompleteAt(i, PurchaseDecision.Refused(PurchaseStatus.SaleNotActive));
            }
            else if (soldOutFastFail && !_acceptedKeys.Contains(new UserIdempotencyKey(request.UserId, request.IdempotencyKey)))
            {
                CompleteAt(i, PurchaseDecision.Refused(PurchaseStatus.SoldOut, 0));
            }
            else
            {
                _requests[forwarded] = request;
                _forwardedFrom[forwarded] = i;
                forwarded++;
            }
        }

        if (forwarded == 0)
        {
            return;
        }

        try
        {
            // 2. One authority call for the whole batch.
            if (!await TryDecideAsync(sale, forwarded, nowMs).ConfigureAwait(false))
            {
                for (var j = 0; j < forwarded; j++)
                {
                    CompleteAt(_forwardedFrom[j], PurchaseDecision.Refused(PurchaseStatus.Unavailable));
                }

                return;
            }

            // 3. Refusals are final now; accepted orders wait for the journal.
            var accepted = 0;
            var remaining = -1;
            var paymentWindowMs = sale.PaymentWindowSeconds * 1000L;
            for (var j = 0; j < forwarded; j++)
            {
                ref readonly var decision = ref _decisions[j];
                if (!decision.Replayed && decision.RemainingStock >= 0)
                {
                    remaining = decision.RemainingStock;
                }

                if (decision.Status != PurchaseStatus.Accepted)
                {
                    CompleteAt(_forwardedFrom[j], decision);
                    continue;
                }

                ref readonly var request = ref _requests[j];
                // A replay carries the first order's id and time, so the journal writes (or skips) that same order.
                _orders[accepted] = new AcceptedOrder(
                    decision.OrderId,
                    sale.SaleId,
                    request.UserId,
                    decision.Quantity,
                    decision.UnitPriceCents,
                    request.IdempotencyKey,
                    decision.CreatedAtUnixMs,
                    decision.CreatedAtUnixMs + paymentWindowMs);
                _orderFrom[accepted] = j;
                accepted++;
                if (_knownSoldOutTtlMs > 0)
                {
                    _acceptedKeys.Add(new UserIdempotencyKey(request.UserId, request.IdempotencyKey));
                }
            }

            if (remaining >= 0)
            {
                Volatile.Write(ref _lastRemaining, remaining);
                _soldOutUntilMs = remaining == 0 && _knownSoldOutTtlMs > 0 ? nowMs + _knownSoldOutTtlMs : 0;
                _returnsSeen = returnsSignal;
            }

            if (accepted == 0)
            {
                return;
            }

            // 4. One commit for every accepted order of the batch; a 201 means the order is in PostgreSQL.
            var committed = true;
            try
            {
                await _journal.CommitAsync(_orders.AsMemory(0, accepted), CancellationToken.None).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // Any journal failure means "not committed": the orders stay in the authority's log for
            // the reconciler and the same Idempotency-Key replays them later.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                committed = false;
                Fault(ex);
            }

            for (var k = 0; k < accepted; k++)
            {
                var j = _orderFrom[k];
                CompleteAt(_forwardedFrom[j], committed ? _decisions[j] : PurchaseDecision.Refused(PurchaseStatus.Unavailable));
            }
        }
        finally
        {
            // Drop the batch's string references so keys do not outlive their requests in the reused buffers.
            Array.Clear(_requests, 0, forwarded);
            Array.Clear(_orders, 0, Math.Min(forwarded, _orders.Length));
        }
    }

    private async ValueTask<bool> TryDecideAsync(SaleDefinition sale, int forwarded, long nowMs)
    {
        var requests = new ReadOnlyMemory<PurchaseRequest>(_requests, 0, forwarded);
        var decisions = new Memory<PurchaseDecision>(_decisions, 0, forwarded);
        try
        {
            await _authority.DecideAsync(sale, requests, decisions, nowMs, CancellationToken.None).ConfigureAwait(false);
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
            await _authority.EnsureInitializedAsync(sale, CancellationToken.None).ConfigureAwait(false);
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

    private void CompleteAt(int index, in PurchaseDecision decision)
    {
        // Clear the slot before completing: the awaiter may recycle the operation for another request at once.
        var operation = _batch[index]!;
        _batch[index] = null;
        operation.Complete(decision);
    }

    private void CompleteAllPending(int count, in PurchaseDecision decision)
    {
        for (var i = 0; i < count; i++)
        {
            if (_batch[i] is not null)
            {
                CompleteAt(i, decision);
            }
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
