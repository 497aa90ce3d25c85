namespace FlashSale.Engine.Core;

/// <summary>
/// Thrown by an <see cref="IStockAuthority"/> when it holds no state for a sale (never initialised, or Redis
/// lost its data). The engine answers by calling <see cref="IStockAuthority.EnsureInitializedAsync"/>, which
/// rebuilds the state from PostgreSQL, and then decides the batch again.
/// </summary>
public sealed class SaleStateMissingException : Exception
{
    public SaleStateMissingException() : base("The stock authority holds no state for this sale.") { }

    public SaleStateMissingException(string message) : base(message) { }

    public SaleStateMissingException(string message, Exception innerException) : base(message, innerException) { }

    public SaleStateMissingException(Guid saleId) : base($"The stock authority holds no state for sale {saleId}.") => SaleId = saleId;

    public Guid SaleId { get; }
}
