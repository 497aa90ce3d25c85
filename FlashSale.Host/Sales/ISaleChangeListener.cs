namespace FlashSale.Host.Sales;

/// <summary>
/// Told after a sale is created or changed, so the engine, the stock authority and live screens pick up the new
/// definition (price, end time, waiting room) without waiting for a cache to expire.
/// </summary>
public interface ISaleChangeListener
{
    ValueTask SaleChangedAsync(Sale sale, CancellationToken cancellationToken);
}
