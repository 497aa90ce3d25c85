namespace FlashSale.Engine.Core;

/// <summary>How the engine answered one purchase request.</summary>
public enum PurchaseStatus : byte
{
    /// <summary>Units reserved and the order committed to PostgreSQL.</summary>
    Accepted = 0,
    /// <summary>Not enough stock left for the requested quantity.</summary>
    SoldOut = 1,
    /// <summary>The shopper's units plus this quantity would exceed the sale's per-user limit.</summary>
    LimitReached = 2,
    /// <summary>The sale has not started or has ended.</summary>
    SaleNotActive = 3,
    /// <summary>The sale uses a waiting room and the shopper is not (or no longer) admitted.</summary>
    NotAdmitted = 4,
    /// <summary>The sale's intake queue is full; retry later.</summary>
    Overloaded = 5,
    /// <summary>A dependency (Redis or PostgreSQL) failed; nothing the shopper can see was half-done.</summary>
    Unavailable = 6,
    /// <summary>Quantity below one.</summary>
    InvalidQuantity = 7,
}
