using System.Collections.Concurrent;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Sales;

namespace FlashSale.Host.Realtime;

/// <summary>Where the publisher reads a sale's live figures: one read per sale per tick, never per subscriber.</summary>
public interface ISaleSnapshots
{
    ValueTask<SaleSnapshot?> ReadAsync(Guid saleId, long nowUnixMs, CancellationToken cancellationToken);
}

/// <summary>
/// Several hosts: one Lua call reads stock, status and the line counter atomically and numbers the snapshot, so
/// frames published by different hosts are ordered by when Redis read them, not by when they arrived.
/// </summary>
public sealed class RedisSaleSnapshots(RedisWaitingRoom room) : ISaleSnapshots
{
    public async ValueTask<SaleSnapshot?> ReadAsync(Guid saleId, long nowUnixMs, CancellationToken cancellationToken) =>
        await room.SnapshotAsync(saleId, nowUnixMs).ConfigureAwait(false);
}

/// <summary>One host without Redis: the in-process authority's stock and the sale definition's window.</summary>
public sealed class LocalSaleSnapshots(IStockAuthority authority, SaleDefinitions definitions) : ISaleSnapshots
{
    private readonly ConcurrentDictionary<Guid, string> _status = new();
    private long _seq;

    public async ValueTask<SaleSnapshot?> ReadAsync(Guid saleId, long nowUnixMs, CancellationToken cancellationToken)
    {
        var sale = await definitions.FindAsync(saleId, cancellationToken).ConfigureAwait(false);
        if (sale is null)
        {
            return null;
        }
        var stock = await authority.GetRemainingStockAsync(saleId, cancellationToken).ConfigureAwait(false) ?? sale.TotalStock;
        var status = nowUnixMs >= sale.EndsAt.ToUnixTimeMilliseconds() ? SaleStatus.Ended
            : nowUnixMs < sale.StartsAt.ToUnixTimeMilliseconds() ? SaleStatus.Upcoming
            : stock <= 0 ? SaleStatus.SoldOut
            : SaleStatus.Active;
        var before = _status.GetValueOrDefault(saleId);
        _status[saleId] = status;
        return new SaleSnapshot(Interlocked.Increment(ref _seq), stock, status, before != status, 0, sale.WaitingRoom);
    }
}
