using System.Collections.Concurrent;
using System.Diagnostics;

namespace FlashSale.Load.Stats;

/// <summary>
/// Statistics of one step (purchase, pay, ...), one histogram per outcome. <see cref="IsRequest"/> is false for
/// measurements that are not requests (WebSocket event lag), so they stay out of request totals and error rates.
/// </summary>
internal sealed class StepStats(string name, bool isRequest, int order)
{
    private readonly ConcurrentDictionary<string, OutcomeRecorder> _outcomes = new(StringComparer.Ordinal);

    public string Name { get; } = name;

    public bool IsRequest { get; } = isRequest;

    /// <summary>Declaration order, so reports list steps the way the scenario runs them.</summary>
    public int Order { get; } = order;

    public ICollection<OutcomeRecorder> Outcomes => _outcomes.Values;

    /// <summary>Records a latency measured from <paramref name="startTimestamp"/> (a Stopwatch timestamp) to now.</summary>
    public void Record(Outcome outcome, long startTimestamp) =>
        RecordMicros(outcome, LatencyHistograms.MicrosBetween(startTimestamp, Stopwatch.GetTimestamp()));

    public void RecordMicros(Outcome outcome, long micros)
    {
        if (!_outcomes.TryGetValue(outcome.Name, out var recorder))
        {
            recorder = _outcomes.GetOrAdd(outcome.Name, static (_, o) => new OutcomeRecorder(o), outcome);
        }

        recorder.Record(micros);
    }
}
