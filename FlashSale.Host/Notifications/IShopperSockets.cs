namespace FlashSale.Host.Notifications;

/// <summary>
/// What notifications need of live sockets: hand one frame to the open sockets of some shoppers on this host.
/// Declared here and implemented by Realtime, so this feature does not depend on it.
/// </summary>
public interface IShopperSockets
{
    /// <summary>Sends <paramref name="frame"/> about the sale to every socket of these shoppers on this host; returns how many got it.</summary>
    int SendToShoppers(Guid saleId, IEnumerable<Guid> userIds, byte[] frame);
}
