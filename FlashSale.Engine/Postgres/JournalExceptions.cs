namespace FlashSale.Engine.Postgres;

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

/// <summary>
/// An order the journal did not insert is not in <c>orders</c> as the same order (another row holds its id for another
/// sale or shopper, or it is missing): answering 201 for it would be a lie, so its batch fails.
/// </summary>
public sealed class OrderConflictException : Exception
{
    public OrderConflictException() : base("An order was neither inserted nor found as the same order.") { }

    public OrderConflictException(string message) : base(message) { }

    public OrderConflictException(string message, Exception innerException) : base(message, innerException) { }

    public OrderConflictException(Guid orderId) : base($"Order {orderId} was neither inserted nor found as the same order.") => OrderId = orderId;

    public Guid OrderId { get; }
}
