using FlashSale.Host.Sales;

namespace FlashSale.Host.Realtime;

/// <summary>
/// Tells this host's screens about a changed sale: a price frame to its subscribers and a fresh stock/status/queue
/// snapshot at the next tick. Every host runs it for every change it takes, so each screen hears it from its own host.
/// </summary>
public sealed class LiveSaleChangeListener(RealtimeHub hub, SaleSignals signals, TimeProvider clock) : ISaleChangeListener
{
    public void SaleChanged(Sale sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        signals.Mark(sale.Id, SaleSignals.Stock | SaleSignals.Queue);
        hub.Deliver(LiveFrames.Price(sale.Id, sale.SalePrice, clock.GetUtcNow().ToUnixTimeMilliseconds()));
    }
}
