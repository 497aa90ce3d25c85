using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>
/// Latencies of one step and one outcome. Workers write through a wait-free <see cref="Recorder"/>; the single
/// ticker thread swaps out an interval histogram every second, which feeds both the time series and the totals.
/// </summary>
internal sealed class OutcomeRecorder(Outcome outcome)
{
    private readonly Recorder _recorder = LatencyHistograms.CreateRecorder();
    private HistogramBase? _recycle;

    public Outcome Outcome { get; } = outcome;

    /// <summary>Everything recorded outside the warm-up. Only the ticker thread touches it.</summary>
    public LongHistogram Total { get; } = LatencyHistograms.Create();

    public void Record(long micros) => _recorder.RecordValue(LatencyHistograms.Clamp(micros));

    /// <summary>Takes what was recorded since the last call. Ticker thread only; the result is valid until the next call.</summary>
    public HistogramBase TakeInterval()
    {
        var interval = _recorder.GetIntervalHistogram(_recycle);
        _recycle = interval;
        return interval;
    }
}
