namespace FlashSale.Engine.Core;

/// <summary>
/// The answer to one purchase request. For <see cref="PurchaseStatus.Accepted"/> it carries the order as it was
/// first recorded; a replayed Idempotency-Key gets the very same values (<see cref="Replayed"/> is then true).
/// </summary>
public readonly record struct PurchaseDecision(
    PurchaseStatus Status,
    Guid OrderId,
    int Quantity,
    long UnitPriceCents,
    long CreatedAtUnixMs,
    int RemainingStock,
    bool Replayed)
{
    /// <summary>
    /// Where the authority logged this acceptance (set only for a new, non-replayed acceptance by an authority that
    /// keeps a log). The engine hands it back through <see cref="IStockAuthority.OrdersCommitted"/> after the commit.
    /// </summary>
    public OrderLogPosition LogPosition { get; init; }

    /// <summary>
    /// The epoch of the authority's state this acceptance was decided under (or, for a replay, recorded in): the
    /// journal commits the order only while the sale's epoch in PostgreSQL is still this one (see
    /// <see cref="AcceptedOrder.SaleEpoch"/>).
    /// </summary>
    public long SaleEpoch { get; init; }

    public static PurchaseDecision Refused(PurchaseStatus status, int remainingStock = -1) =>
        new(status, Guid.Empty, 0, 0, 0, remainingStock, false);
}
