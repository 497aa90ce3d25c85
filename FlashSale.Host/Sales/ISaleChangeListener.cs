namespace FlashSale.Host.Sales;

/// <summary>
/// Told on every host when a sale was created or changed on any host (see <see cref="SaleChanges"/>), so the engine,
/// the definition cache, the admission loop and live screens take the new definition within a second. Called once per
/// version and in increasing version order per sale, one call at a time: an older version is never passed on after a
/// newer one. Must be quick and must not throw (it runs under <see cref="SaleChanges"/>' lock).
/// </summary>
public interface ISaleChangeListener
{
    void SaleChanged(Sale sale);
}
