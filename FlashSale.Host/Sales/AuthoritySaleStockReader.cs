using System.Collections.Concurrent;
using FlashSale.Engine.Core;

namespace FlashSale.Host.Sales;

/// <summary>
/// Remaining stock as the stock authority decides it, cached per sale for up to 100 ms so a page of sales and a
/// storm of GETs cost the authority one read per sale per tick. Before a sale's first purchase the authority may
/// not hold it yet (or no longer, past its retention); PostgreSQL's figure stands in.
/// </summary>
public sealed class AuthoritySaleStockReader(IStockAuthority authority, SaleStore store, TimeProvider clock) : ISaleStockReader
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentDictionary<Guid, (int Remaining, long ReadAt)> _cache = new();

    public async ValueTask<int> RemainingAsync(Sale sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (_cache.TryGetValue(sale.Id, out var cached) && clock.GetElapsedTime(cached.ReadAt) < MaxAge)
        {
            return cached.Remaining;
        }
        var remaining = await authority.GetRemainingStockAsync(sale.Id, cancellationToken)
            ?? Math.Max(0, sale.TotalStock - await store.HeldUnitsAsync(sale.Id, cancellationToken));
        _cache[sale.Id] = (remaining, clock.GetTimestamp());
        return remaining;
    }
}
