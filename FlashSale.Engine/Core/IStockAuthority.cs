namespace FlashSale.Engine.Core;

/// <summary>
/// The one place stock is decided. The engine calls <see cref="DecideAsync"/> with a whole batch from its
/// single reader loop; an implementation decides the requests in order, atomically with respect to every other
/// host (Redis: one Lua call per batch) and writes one decision per request.
/// </summary>
public interface IStockAuthority
{
    /// <summary>
    /// Makes sure the authority holds the sale's state (stock, per-user units, idempotency outcomes), built from
    /// the durable orders when it is missing. Never resets a sale that is already initialised.
    /// </summary>
    ValueTask EnsureInitializedAsync(SaleDefinition sale, CancellationToken cancellationToken);

    /// <summary>
    /// Makes the authority decide with <paramref name="sale"/>'s price, window, limits and waiting-room flag unless it
    /// holds a newer <see cref="SaleDefinition.Version"/> (admin changes, relayed and re-synced). Installs nothing:
    /// returns false when the authority holds no state of the sale (its first purchase installs the definition it is
    /// given). An in-process authority decides with the definition each batch carries, so it has nothing to do.
    /// </summary>
    ValueTask<bool> UpdateSaleAsync(SaleDefinition sale, CancellationToken cancellationToken);

    /// <summary>
    /// Decides <paramref name="requests"/> in order; writes decisions[i] for requests[i]. <paramref name="nowUnixMs"/> is
    /// this host's clock: an authority with a clock of its own decides the sale's window on that one instead (Redis
    /// <c>TIME</c>, so every host decides on one clock) and stamps new orders with it.
    /// </summary>
    ValueTask DecideAsync(
        SaleDefinition sale,
        ReadOnlyMemory<PurchaseRequest> requests,
        Memory<PurchaseDecision> decisions,
        long nowUnixMs,
        CancellationToken cancellationToken);

    /// <summary>
    /// Gives an order's units back to the sale's stock and the shopper's allowance, exactly once per order id
    /// however often it is called. Returns true when this call did the return.
    /// </summary>
    ValueTask<bool> ReturnUnitsAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken);

    /// <summary>
    /// Called by the engine after the journal committed accepted orders, with the <see cref="PurchaseDecision.LogPosition"/>
    /// of each one the authority logged (never empty). The orders are durable now, so the authority may drop their log
    /// entries. Must not wait on I/O (it runs on the engine's commit path, possibly for two batches of one sale at once):
    /// fire and forget. Losing this call is harmless: the reconciler finds the entries later and its write is idempotent.
    /// </summary>
    void OrdersCommitted(Guid saleId, ReadOnlySpan<OrderLogPosition> positions);

    /// <summary>The sale's remaining stock as the authority sees it, or null when it does not know the sale.</summary>
    ValueTask<int?> GetRemainingStockAsync(Guid saleId, CancellationToken cancellationToken);
}
