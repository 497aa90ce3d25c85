using FlashSale.Engine.Core;

namespace FlashSale.Host.Sales;

/// <summary>The purchase path of this host takes a changed sale: the definition cache and, if it runs here, the sale's engine.</summary>
public sealed class EngineSaleChangeListener(SaleDefinitions definitions, SaleEngineRegistry engines) : ISaleChangeListener
{
    public void SaleChanged(Sale sale) => engines.Update(definitions.Set(sale));
}
