using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlashSale.Tests.Telemetry;

/// <summary>One measurement of an instrument, with its tags and the thread that recorded it.</summary>
public sealed record Measurement(string Instrument, double Value, IReadOnlyDictionary<string, string?> Tags, int ThreadId)
{
    public string? Tag(string key) => Tags.TryGetValue(key, out var value) ? value : null;
}

/// <summary>
/// Listens to FlashSale's meters the way an exporter does and keeps every measurement. The instruments are static and
/// shared by every test host in the process, so assertions pick their own (by sale id, or by the recording thread).
/// </summary>
public sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<Measurement> _measurements = new();

    public MeterRecorder(params string[] meters)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (meters.Contains(instrument.Meter.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        _listener.Start();
    }

    public IReadOnlyList<Measurement> Of(string instrument) => _measurements.Where(m => m.Instrument == instrument).ToList();

    private void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (key, tagValue) in tags)
        {
            copy[key] = tagValue?.ToString();
        }
        _measurements.Enqueue(new Measurement(instrument.Name, value, copy, Environment.CurrentManagedThreadId));
    }

    public void Dispose() => _listener.Dispose();
}
