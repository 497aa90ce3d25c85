using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using FlashSale.Engine.Core;

namespace FlashSale.Engine.InProcess;

/// <summary>
/// The stock authority of a single host without Redis: the engine itself decides. Per sale it keeps the remaining
/// stock, every shopper's units and the first outcome of every (shopper, Idempotency-Key).
/// <para>
/// Threading: <see cref="DecideAsync"/> for one sale is called by that sale's single engine loop, so its
/// dictionaries are plain ones owned by that caller (a guard turns a second concurrent caller into an exception
/// instead of silent corruption). <see cref="ReturnUnitsAsync"/> comes from other threads (expiry, cancellation):
/// it adds the units to the stock counter with one Interlocked add (the loop only ever decrements after checking,
/// and a concurrent return can only make the counter larger, so no oversell is possible), dedupes the order id in a
/// concurrent set, and queues the shopper's allowance, which the loop applies before its next batch. The purchase
/// path therefore takes no lock; the only internal locks are the concurrent set's, on the rare return path.
/// </para>
/// </summary>
public sealed class InProcessStockAuthority : IStockAuthority
{
    private readonly ConcurrentDictionary<Guid, SaleState> _sales = new();
    private readonly IDurableOrderSource? _durable;
    private readonly OncePerSale _loadForReturns;

    /// <param name="durable">
    /// Rebuilds a sale from the durable orders on first use (after a restart). Without one a sale starts from its
    /// full stock, which is right only for a sale that has never sold on this database.
    /// </param>
    public InProcessStockAuthority(IDurableOrderSource? durable = null)
    {
        _durable = durable;
        _loadForReturns = new OncePerSale(LoadFromDurableAsync);
    }

    private async Task LoadFromDurableAsync(Guid saleId)
    {
        if (_durable is not null && await _durable.ReadSaleAsync(saleId, CancellationToken.None).ConfigureAwait(false) is { } sale)
        {
            await EnsureInitializedAsync(sale, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public async ValueTask EnsureInitializedAsync(SaleDefinition sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (_sales.ContainsKey(sale.SaleId))
        {
            return;
        }

        var state = new SaleState(sale.TotalStock);
        if (_durable is not null)
        {
            state.Restore(await _durable.BeginRebuildAsync(sale.SaleId, cancellationToken).ConfigureAwait(false));
        }

        // Two racing initialisations both build a state without holding a lock across the load; the one built under
        // the newer epoch wins (the older one's commits are fenced off in PostgreSQL), so a live sale is never reset by
        // a state of the same or an older epoch.
        _sales.AddOrUpdate(sale.SaleId, state, (_, current) => current.Epoch >= state.Epoch ? current : state);
    }

    public ValueTask DecideAsync(
        SaleDefinition sale,
        ReadOnlyMemory<PurchaseRequest> requests,
        Memory<PurchaseDecision> decisions,
        long nowUnixMs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (decisions.Length < requests.Length)
        {
            throw new ArgumentException("One decision slot per request is required.", nameof(decisions));
        }

        if (!_sales.TryGetValue(sale.SaleId, out var state))
        {
            throw new SaleStateMissingException(sale.SaleId);
        }

        state.Decide(sale, requests.Span, decisions.Span, nowUnixMs);
        return ValueTask.CompletedTask;
    }

    /// <summary>Nothing to keep: each batch is decided with the definition the engine passes.</summary>
    public ValueTask<bool> UpdateSaleAsync(SaleDefinition sale, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_sales.ContainsKey((sale ?? throw new ArgumentNullException(nameof(sale))).SaleId));

    public ValueTask<bool> ReturnUnitsAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantity, 1);
        return _sales.TryGetValue(saleId, out var state)
            ? new ValueTask<bool>(state.Return(orderId, userId, quantity))
            : ReturnToUnloadedAsync(saleId, orderId, userId, quantity, cancellationToken);
    }

    /// <summary>
    /// The sale is not loaded: a first load may be reading the orders from before this one ended and would count its
    /// units as held. Load it now (the order reads as ended, so the load counts the return) or, if the other load wins,
    /// return on top of it.
    /// </summary>
    private async ValueTask<bool> ReturnToUnloadedAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await _loadForReturns.RunAsync(saleId).ConfigureAwait(false);
        return _sales.TryGetValue(saleId, out var state) && state.Return(orderId, userId, quantity);
    }

    /// <summary>Nothing to do: this authority keeps no log (its decisions never carry a position).</summary>
    public void OrdersCommitted(Guid saleId, ReadOnlySpan<OrderLogPosition> positions)
    {
    }

    public ValueTask<int?> GetRemainingStockAsync(Guid saleId, CancellationToken cancellationToken) =>
        new(_sales.TryGetValue(saleId, out var state) ? state.Remaining : null);

    /// <summary>Benchmarks only: empties a sale's state while no loop decides it, keeping the collections' capacity.</summary>
    internal void ResetSale(SaleDefinition sale)
    {
        if (_sales.TryGetValue(sale.SaleId, out var state))
        {
            state.Reset(sale.TotalStock);
        }
    }

    private sealed class SaleState(int totalStock)
    {
        private readonly Dictionary<Guid, int> _userUnits = [];
        private readonly Dictionary<UserIdempotencyKey, PurchaseDecision> _outcomes = [];
        // Refusals recorded per shopper: past IdempotencyBounds.MaxRecordedRefusalsPerShopper they are not recorded.
        private readonly Dictionary<Guid, int> _userRefusals = [];
        private readonly ConcurrentDictionary<Guid, byte> _returnedOrders = new();
        private readonly ConcurrentQueue<(Guid UserId, int Quantity)> _allowanceReturns = new();
        private int _remaining = totalStock;
        private int _deciding;

        public int Remaining => Volatile.Read(ref _remaining);

        /// <summary>The sale's epoch this state was built under; every acceptance carries it to the journal.</summary>
        public long Epoch { get; private set; }

        public void Decide(SaleDefinition sale, ReadOnlySpan<PurchaseRequest> requests, Span<PurchaseDecision> decisions, long nowMs)
        {
            if (Interlocked.CompareExchange(ref _deciding, 1, 0) != 0)
            {
                throw new InvalidOperationException($"Sale {sale.SaleId} is being decided by two callers at once; one engine loop per sale may decide it.");
            }

            try
            {
                ApplyAllowanceReturns();
                var open = nowMs >= sale.StartsAt.ToUnixTimeMilliseconds() && nowMs < sale.EndsAt.ToUnixTimeMilliseconds();
                for (var i = 0; i < requests.Length; i++)
                {
                    decisions[i] = DecideOne(sale, requests[i], open, nowMs);
                }
            }
            finally
            {
                Volatile.Write(ref _deciding, 0);
            }
        }

        private PurchaseDecision DecideOne(SaleDefinition sale, in PurchaseRequest request, bool open, long nowMs)
        {
            var key = new UserIdempotencyKey(request.UserId, request.IdempotencyKey);
            if (!open || request.Quantity < 1)
            {
                // Outcomes that can change (the window moves with a PATCH) or are the caller's mistake are not
                // recorded, so only look up; a key seen before still gets its first outcome.
                if (_outcomes.TryGetValue(key, out var earlier))
                {
                    return earlier with { Replayed = true };
                }

                return PurchaseDecision.Refused(open ? PurchaseStatus.InvalidQuantity : PurchaseStatus.SaleNotActive, Remaining);
            }

            // One hash lookup both finds a seen key and reserves the slot for a new one.
            ref var outcome = ref CollectionsMarshal.GetValueRefOrAddDefault(_outcomes, key, out var seen);
            if (seen)
            {
                return outcome with { Replayed = true };
            }

            ref var units = ref CollectionsMarshal.GetValueRefOrAddDefault(_userUnits, request.UserId, out _);
            var remaining = Volatile.Read(ref _remaining);
            if (units + (long)request.Quantity > sale.PerUserLimit || remaining < request.Quantity)
            {
                var refusal = PurchaseDecision.Refused(
                    units + (long)request.Quantity > sale.PerUserLimit ? PurchaseStatus.LimitReached : PurchaseStatus.SoldOut, remaining);
                if (++CollectionsMarshal.GetValueRefOrAddDefault(_userRefusals, request.UserId, out _) > IdempotencyBounds.MaxRecordedRefusalsPerShopper)
                {
                    _outcomes.Remove(key); // the slot reserved above: this refusal is answered, not remembered
                    return refusal;
                }

                outcome = refusal;
            }
            else
            {
                // Only this loop decrements, and returns only add, so the check above still holds here.
                remaining = Interlocked.Add(ref _remaining, -request.Quantity);
                units += request.Quantity;
                outcome = new PurchaseDecision(
                    PurchaseStatus.Accepted,
                    request.OrderId,
                    request.Quantity,
                    sale.UnitPriceCents,
                    nowMs,
                    remaining,
                    Replayed: false)
                {
                    SaleEpoch = Epoch,
                };
            }

            return outcome;
        }

        public bool Return(Guid orderId, Guid userId, int quantity)
        {
            if (!_returnedOrders.TryAdd(orderId, 0))
            {
                return false; // already returned: exactly once per order id
            }

            _allowanceReturns.Enqueue((userId, quantity));
            Interlocked.Add(ref _remaining, quantity);
            return true;
        }

        private void ApplyAllowanceReturns()
        {
            while (_allowanceReturns.TryDequeue(out var returned))
            {
                ref var units = ref CollectionsMarshal.GetValueRefOrNullRef(_userUnits, returned.UserId);
                if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref units))
                {
                    units = Math.Max(0, units - returned.Quantity);
                }
            }
        }

        public void Restore(DurableSaleSnapshot snapshot)
        {
            Epoch = snapshot.Epoch;
            foreach (var order in snapshot.Orders)
            {
                _outcomes[new UserIdempotencyKey(order.UserId, order.IdempotencyKey)] = new PurchaseDecision(
                    PurchaseStatus.Accepted, order.OrderId, order.Quantity, order.UnitPriceCents, order.CreatedAtUnixMs,
                    RemainingStock: -1, Replayed: false)
                {
                    SaleEpoch = snapshot.Epoch,
                };
                if (order.HoldsUnits)
                {
                    _remaining -= order.Quantity;
                    CollectionsMarshal.GetValueRefOrAddDefault(_userUnits, order.UserId, out _) += order.Quantity;
                }
                else
                {
                    _returnedOrders.TryAdd(order.OrderId, 0);
                }
            }

            // More held than the (possibly reduced) stock: sell nothing rather than go negative.
            _remaining = Math.Max(0, _remaining);
        }

        public void Reset(int stock)
        {
            _userUnits.Clear();
            _outcomes.Clear();
            _userRefusals.Clear();
            _returnedOrders.Clear();
            _allowanceReturns.Clear();
            Volatile.Write(ref _remaining, stock);
        }
    }
}
