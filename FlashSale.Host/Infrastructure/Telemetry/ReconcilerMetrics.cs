using FlashSale.Engine.Redis;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>Records one reconciler pass on <see cref="HostMetrics"/> (called by the loop that runs the passes).</summary>
public static class ReconcilerMetrics
{
    private static readonly KeyValuePair<string, object?>[] Ok = [new("outcome", "ok")];
    private static readonly KeyValuePair<string, object?>[] Failure = [new("outcome", "failed")];

    public static void Passed(ReconcileResult result, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(clock);
        HostMetrics.ReconcilerPasses.Add(1, Ok);
        HostMetrics.ReconcilerReplayed.Add(result.EntriesCommitted);
        // Every entry a pass reads is trimmed afterwards (committed, already there, or an orphan): what it trimmed is
        // what it found waiting.
        HostMetrics.ReconcilerBacklog.Record(result.EntriesTrimmed);
        HostMetrics.ReconcilerLastSuccess.Record(clock.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
    }

    public static void Failed() => HostMetrics.ReconcilerPasses.Add(1, Failure);
}
