using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>One sale's figures on this host, as its meters recorded them (totals since the host started, last values).</summary>
public sealed record SaleFiguresResponse(
    Guid SaleId, long At, IReadOnlyDictionary<string, long> Purchases, long? Remaining, long? Subscribers, long? LineLength,
    long? LineAbsent, long LineAdmitted, long Frames, double LagMsSum, long LagCount);

/// <summary>
/// The admin page's live charts, read from the host's own instruments (<see cref="HostMetrics"/>) through a
/// <see cref="MeterListener"/>, the way an exporter reads them: no second count is kept beside the meters. The listener
/// starts with the first request for figures, so a host whose admin page is never opened pays nothing for it.
/// </summary>
public sealed class SaleFigures(TimeProvider clock) : IDisposable
{
    private static readonly HashSet<string> Instruments =
    [
        "flashsale.purchases", "flashsale.sale.remaining", "flashsale.realtime.subscribers", "flashsale.line.length",
        "flashsale.line.absent", "flashsale.line.admitted", "flashsale.realtime.frames", "flashsale.realtime.frame.lag",
    ];

    private readonly ConcurrentDictionary<Guid, Figures> _sales = new();
    private readonly Lock _startGate = new();
    private MeterListener? _listener;

    /// <summary>The sale's figures so far (all zero or null until its meters record something after the first call).</summary>
    public SaleFiguresResponse Read(Guid saleId)
    {
        EnsureListening();
        var f = _sales.GetOrAdd(saleId, static _ => new Figures());
        lock (f)
        {
            return new SaleFiguresResponse(saleId, clock.GetUtcNow().ToUnixTimeMilliseconds(), new Dictionary<string, long>(f.Purchases),
                f.Remaining, f.Subscribers, f.LineLength, f.LineAbsent, f.LineAdmitted, f.Frames, f.LagSum, f.LagCount);
        }
    }

    private void EnsureListening()
    {
        lock (_startGate)
        {
            if (_listener is not null)
            {
                return;
            }
            _listener = new MeterListener
            {
                InstrumentPublished = (instrument, listener) =>
                {
                    if (instrument.Meter.Name == HostMetrics.MeterName && Instruments.Contains(instrument.Name))
                    {
                        listener.EnableMeasurementEvents(instrument);
                    }
                },
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Take(instrument.Name, value, tags));
            _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Take(instrument.Name, value, tags));
            _listener.Start();
        }
    }

    private void Take(string instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? sale = null, outcome = null;
        foreach (var (key, tag) in tags)
        {
            if (key == "sale")
            {
                sale = tag as string;
            }
            else if (key == "outcome")
            {
                outcome = tag as string;
            }
        }
        if (!Guid.TryParse(sale, out var saleId))
        {
            return;
        }
        var f = _sales.GetOrAdd(saleId, static _ => new Figures());
        lock (f)
        {
            switch (instrument)
            {
                case "flashsale.purchases" when outcome is not null:
                    f.Purchases[outcome] = f.Purchases.GetValueOrDefault(outcome) + (long)value;
                    break;
                case "flashsale.sale.remaining": f.Remaining = (long)value; break;
                case "flashsale.realtime.subscribers": f.Subscribers = (long)value; break;
                case "flashsale.line.length": f.LineLength = (long)value; break;
                case "flashsale.line.absent": f.LineAbsent = (long)value; break;
                case "flashsale.line.admitted": f.LineAdmitted += (long)value; break;
                case "flashsale.realtime.frames": f.Frames += (long)value; break;
                case "flashsale.realtime.frame.lag":
                    f.LagSum += value;
                    f.LagCount++;
                    break;
            }
        }
    }

    public void Dispose() => _listener?.Dispose();

    private sealed class Figures
    {
        public Dictionary<string, long> Purchases { get; } = new(StringComparer.Ordinal);
        public long? Remaining { get; set; }
        public long? Subscribers { get; set; }
        public long? LineLength { get; set; }
        public long? LineAbsent { get; set; }
        public long LineAdmitted { get; set; }
        public long Frames { get; set; }
        public double LagSum { get; set; }
        public long LagCount { get; set; }
    }
}
