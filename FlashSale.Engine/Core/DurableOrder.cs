namespace FlashSale.Engine.Core;

/// <summary>The status of an order as PostgreSQL holds it.</summary>
public enum DurableOrderStatus : byte
{
    Reserved = 0,
    Paid = 1,
    Expired = 2,
    Cancelled = 3,
}

/// <summary>One order of a sale as the durable store holds it: what a stock authority rebuilds a sale from after a restart or a loss of Redis data.</summary>
public readonly record struct DurableOrder(
    Guid OrderId,
    Guid UserId,
    int Quantity,
    long UnitPriceCents,
    string IdempotencyKey,
    long CreatedAtUnixMs,
    DurableOrderStatus Status)
{
    /// <summary>True while the order holds its units (reserved or paid).</summary>
    public bool HoldsUnits => Status is DurableOrderStatus.Reserved or DurableOrderStatus.Paid;
}

/// <summary>
/// What a rebuild of a sale's state starts from: the sale's new epoch, every order it holds and its waiting-room line
/// as journaled (<see cref="DurableLine.Empty"/> for a sale nobody queued for).
/// </summary>
public sealed record DurableSaleSnapshot(long Epoch, IReadOnlyList<DurableOrder> Orders, DurableLine? Line = null);

/// <summary>Where a stock authority reads a sale's durable orders from when it (re)builds the sale's state (PostgreSQL in the host).</summary>
public interface IDurableOrderSource
{
    /// <summary>
    /// Starts a rebuild of the sale's state: moves the sale's epoch on and reads every order, whatever its status, in
    /// one transaction. Moving the epoch waits for the journal's commits in flight under the old epoch and makes the
    /// later ones fail, so no order can become durable under an older epoch after this read. A sale the store does
    /// not hold keeps epoch 0.
    /// </summary>
    Task<DurableSaleSnapshot> BeginRebuildAsync(Guid saleId, CancellationToken cancellationToken);

    /// <summary>
    /// The sale's current definition, or null when the store has no such sale (or cannot say): what an authority installs
    /// a sale from when something other than a purchase needs its state (a unit return that found none).
    /// </summary>
    Task<SaleDefinition?> ReadSaleAsync(Guid saleId, CancellationToken cancellationToken) => Task.FromResult<SaleDefinition?>(null);
}
