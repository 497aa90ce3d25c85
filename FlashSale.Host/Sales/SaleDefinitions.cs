using System.Collections.Concurrent;
using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Sales;

/// <summary>
/// The engine's view of each sale (price in cents, window, limits), cached so a purchase reads no database.
/// A change made on this host replaces the entry at once; a change made on another host is picked up when the
/// entry is older than <see cref="MaxAge"/>.
/// </summary>
public sealed class SaleDefinitions(SaleStore store, TimeProvider clock)
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<Guid, Entry> _cache = new();

    private sealed record Entry(SaleDefinition? Definition, long LoadedAt);

    /// <summary>The sale's definition, or null when no such sale exists.</summary>
    public ValueTask<SaleDefinition?> FindAsync(Guid saleId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(saleId, out var entry) && clock.GetElapsedTime(entry.LoadedAt) < MaxAge)
        {
            return ValueTask.FromResult(entry.Definition);
        }
        return LoadAsync(saleId, cancellationToken);
    }

    public SaleDefinition Set(Sale sale)
    {
        var definition = ToDefinition(sale);
        _cache[sale.Id] = new Entry(definition, clock.GetTimestamp());
        return definition;
    }

    public static SaleDefinition ToDefinition(Sale sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        return new SaleDefinition(sale.Id, Money.ToCents(sale.SalePrice), sale.TotalStock, sale.PerUserLimit,
            new DateTimeOffset(DateTime.SpecifyKind(sale.StartsAt, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(sale.EndsAt, DateTimeKind.Utc)),
            sale.PaymentWindowSeconds, sale.WaitingRoom);
    }

    private async ValueTask<SaleDefinition?> LoadAsync(Guid saleId, CancellationToken cancellationToken)
    {
        var sale = await store.FindAsync(saleId, cancellationToken);
        if (sale is null)
        {
            // Unknown ids are cached too (briefly), so a flood of bad ids does not become a flood of queries.
            _cache[saleId] = new Entry(null, clock.GetTimestamp());
            return null;
        }
        return Set(sale);
    }
}
