namespace FlashSale.Engine.Core;

/// <summary>
/// A batch's orders were decided under an epoch of the sale's authority state that is no longer the sale's epoch in
/// PostgreSQL: a rebuild read the sale without them, so committing them could sell units twice. Nothing was written;
/// the engine answers their callers 503 and a retry with the same Idempotency-Key is decided again.
/// </summary>
public sealed class SaleEpochMovedException : Exception
{
    public SaleEpochMovedException() : base("The sale's epoch moved since its orders were decided.") { }

    public SaleEpochMovedException(string message) : base(message) { }

    public SaleEpochMovedException(string message, Exception innerException) : base(message, innerException) { }

    public SaleEpochMovedException(Guid saleId, long decidedUnder, long current)
        : base($"Sale {saleId}: orders decided under epoch {decidedUnder}, the sale is at epoch {current} (its state was rebuilt).")
    {
        SaleId = saleId;
    }

    public Guid SaleId { get; }
}
