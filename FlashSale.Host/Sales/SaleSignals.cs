using System.Collections.Concurrent;

namespace FlashSale.Host.Sales;

/// <summary>
/// Per-sale "something changed" flags the live publisher reads and clears every tick. The engine, the admission loop
/// and sale changes raise them, so they live with the sale, below every feature that raises or reads them. Marking
/// costs a dictionary read and an atomic OR; it is done once per purchase batch, not per request.
/// </summary>
public sealed class SaleSignals
{
    public const int Stock = 1;
    public const int Queue = 2;

    private readonly ConcurrentDictionary<Guid, Flag> _flags = new();

    public void Mark(Guid saleId, int what)
    {
        if (!_flags.TryGetValue(saleId, out var flag))
        {
            flag = _flags.GetOrAdd(saleId, static _ => new Flag());
        }
        Interlocked.Or(ref flag.Value, what);
    }

    /// <summary>Takes every raised flag (clearing it) and adds each to <paramref name="into"/>.</summary>
    public void Drain(List<(Guid SaleId, int What)> into)
    {
        ArgumentNullException.ThrowIfNull(into);
        foreach (var (saleId, flag) in _flags)
        {
            if (Volatile.Read(ref flag.Value) != 0)
            {
                var what = Interlocked.Exchange(ref flag.Value, 0);
                if (what != 0)
                {
                    into.Add((saleId, what));
                }
            }
        }
    }

    private sealed class Flag
    {
        public int Value;
    }
}
