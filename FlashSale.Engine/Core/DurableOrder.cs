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

/// <summary>Where a stock authority reads a sale's durable orders from when it (re)builds the sale's state (PostgreSQL in the host).</summary>
public interface IDurableOrderSource
{
    /// <summary>Every order of the sale, whatever its status, in one snapshot.</summary>
    Task<IReadOnlyList<DurableOrder>> ReadOrdersAsync(Guid saleId, CancellationToken cancellationToken);
}
