namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// Whether a shopper follows a sale on a live socket of this host: then the line's frames reach the shopper and the
/// waiting room tells it not to poll. Implemented by the live-update hub; declared here so the waiting room depends on
/// no other feature (the hub, which quotes the line's settings, depends on the waiting room).
/// </summary>
public interface ILineFollowers
{
    bool IsFollowing(Guid saleId, Guid userId);

    /// <summary>Every (sale, shopper) followed on a socket of this host (a snapshot; each pair once).</summary>
    IEnumerable<(Guid SaleId, Guid UserId)> Followers { get; }
}
