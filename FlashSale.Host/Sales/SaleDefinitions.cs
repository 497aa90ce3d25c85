using System.Collections.Concurrent;
using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Sales;

/// <summary>
/// The engine's view of each sale (price in cents, window, limits), cached so a purchase reads no database.
/// A change made on this host replaces the entry at once; a change made on another host is picked up once the entry
/// is older than <see cref="MaxAge"/>: the first request to find it stale starts ONE reload and, like every request
/// until the reload lands, goes on with the definition it has. Without that, every purchase arriving while the
/// entry was being reloaded (hundreds at a few thousand a second) ran the same query and waited for it, every two
/// seconds. A sale not known yet is loaded once however many requests ask for it at the same moment. Changes made on
/// any host also arrive through <see cref="SaleChanges"/> within a second; an entry is never replaced by an older
/// version of the sale (a reload that read the row just before a change must not undo it).
/// </summary>
public sealed class SaleDefinitions
{
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(2);

    private readonly Func<Guid, CancellationToken, Task<Sale?>> _load;
    private readonly TimeProvider _clock;

    public SaleDefinitions(SaleStore store, TimeProvider clock)
        : this((store ?? throw new ArgumentNullException(nameof(store))).FindAsync, clock)
    {
    }

    /// <summary>With any loader of sales (tests count and hold its calls).</summary>
    internal SaleDefinitions(Func<Guid, CancellationToken, Task<Sale?>> load, TimeProvider clock)
    {
        _load = load;
        _clock = clock;
    }

    /// <summary>Ids found to be no sale, remembered at most this many at once: random ids must not grow the cache.</summary>
    public const int MaxUnknownIds = 10_000;

    private readonly ConcurrentDictionary<Guid, Entry> _cache = new();
    // Ids with no sale (id -> when that was read), apart from the real sales so they can be bounded without evicting one.
    private readonly ConcurrentDictionary<Guid, long> _unknown = new();

    /// <summary>Ids currently remembered as unknown (tests).</summary>
    internal int UnknownCount => _unknown.Count;
    private readonly ConcurrentDictionary<Guid, Lazy<Task<SaleDefinition?>>> _loading = new();

    private sealed class Entry(SaleDefinition? definition, long loadedAt)
    {
        public SaleDefinition? Definition { get; } = definition;

        public long LoadedAt { get; } = loadedAt;

        // 1 while a reload of this entry runs; only the request that set it starts one.
        public int Reloading;
    }

    /// <summary>The sale's definition, or null when no such sale exists.</summary>
    public ValueTask<SaleDefinition?> FindAsync(Guid saleId, CancellationToken cancellationToken)
    {
        if (_unknown.TryGetValue(saleId, out var checkedAt) && _clock.GetElapsedTime(checkedAt) < MaxAge)
        {
            return ValueTask.FromResult<SaleDefinition?>(null);
        }
        if (_cache.TryGetValue(saleId, out var entry))
        {
            if (_clock.GetElapsedTime(entry.LoadedAt) < MaxAge)
            {
                return ValueTask.FromResult(entry.Definition);
            }
            // A known sale is served from the stale entry while one reload runs. An unknown id is not: a sale created
            // on another host must become buyable as soon as the entry expires, so that request waits for the load.
            if (entry.Definition is not null)
            {
                if (Interlocked.CompareExchange(ref entry.Reloading, 1, 0) == 0)
                {
                    _ = ReloadAsync(saleId, entry);
                }
                return new ValueTask<SaleDefinition?>(entry.Definition);
            }
        }
        return new ValueTask<SaleDefinition?>(LoadOnceAsync(saleId).WaitAsync(cancellationToken));
    }

    /// <summary>Caches the sale unless a newer version is cached; returns the definition cached now.</summary>
    public SaleDefinition Set(Sale sale)
    {
        var definition = ToDefinition(sale);
        var entry = _cache.AddOrUpdate(sale.Id, static (_, e) => e, static (_, held, e) =>
            held.Definition is { } current && current.Version > e.Definition!.Version ? held : e,
            new Entry(definition, _clock.GetTimestamp()));
        _unknown.TryRemove(sale.Id, out _);
        return entry.Definition!;
    }

    public static SaleDefinition ToDefinition(Sale sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        return new SaleDefinition(sale.Id, Money.ToCents(sale.SalePrice), sale.TotalStock, sale.PerUserLimit,
            new DateTimeOffset(DateTime.SpecifyKind(sale.StartsAt, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(sale.EndsAt, DateTimeKind.Utc)),
            sale.PaymentWindowSeconds, sale.WaitingRoom, sale.Version);
    }

    /// <summary>Loads the sale once for every caller asking at the same time (the load is not tied to one caller's token).</summary>
    private Task<SaleDefinition?> LoadOnceAsync(Guid saleId)
    {
        var load = _loading.GetOrAdd(saleId, id => new Lazy<Task<SaleDefinition?>>(() => LoadAsync(id)));
        return load.Value;
    }

    private async Task<SaleDefinition?> LoadAsync(Guid saleId)
    {
        try
        {
            var sale = await _load(saleId, CancellationToken.None);
            if (sale is null)
            {
                // Unknown ids are remembered too (briefly), so a flood of bad ids does not become a flood of queries;
                // a flood of distinct random ids empties the set instead of growing it (each costs one query again).
                if (_unknown.Count >= MaxUnknownIds)
                {
                    _unknown.Clear();
                }
                _unknown[saleId] = _clock.GetTimestamp();
                return null;
            }
            return Set(sale);
        }
        finally
        {
            _loading.TryRemove(saleId, out _);
        }
    }

    private async Task ReloadAsync(Guid saleId, Entry stale)
    {
        try
        {
            await LoadOnceAsync(saleId);
        }
#pragma warning disable CA1031 // A failed background reload keeps the stale entry; the next request after MaxAge tries again.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
        finally
        {
            Volatile.Write(ref stale.Reloading, 0);
        }
    }
}
