using FlashSale.Host.Sales;

namespace FlashSale.Host.WaitingRoom;

/// <summary>Gives a changed sale's waiting-room settings (rate, window, end, the flag itself) to this host's admission loop.</summary>
public sealed class WaitingRoomSaleChangeListener(WaitingRoomCatalog catalog) : ISaleChangeListener
{
    public void SaleChanged(Sale sale) => catalog.Apply(sale);
}
