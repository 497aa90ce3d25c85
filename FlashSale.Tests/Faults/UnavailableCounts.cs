using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlashSale.Engine.Core;

namespace FlashSale.Tests.Faults;

/// <summary>
/// Listens to the engine meter's <c>flashsale.engine.unavailable</c> counter while alive and sums it by cause. The
/// meter is process-wide: use it in the fault collection, whose tests run alone.
/// </summary>
public sealed class UnavailableCounts : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _byCause = new(StringComparer.Ordinal);

    public UnavailableCounts()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == EngineMetrics.MeterName && instrument.Name == EngineMetrics.Unavailable.Name)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "cause")
                {
                    _byCause.AddOrUpdate((string)tag.Value!, value, (_, sum) => sum + value);
                }
            }
        });
        _listener.Start();
    }

    public long this[string cause] => _byCause.GetValueOrDefault(cause);

    public long Total => _byCause.Values.Sum();

    public override string ToString() => string.Join(", ", _byCause.Select(c => $"{c.Key} {c.Value}"));

    public void Dispose() => _listener.Dispose();
}
