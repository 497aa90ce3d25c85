using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace FlashSale.Engine.Core;

/// <summary>
/// The engine's own measurements, published on the <c>FlashSale.Engine</c> meter (watch them live with
/// <c>dotnet-counters monitor -n FlashSale.Host --counters FlashSale.Engine</c>, or export them with OpenTelemetry).
/// They say where a purchase's time goes between the HTTP request and its answer: how many requests one loop turn
/// decides, how long the authority call and the journal commit take. Recording with no listener costs a branch;
/// instruments are static so the hot path holds no reference to a DI-created meter.
/// </summary>
public static class EngineMetrics
{
    public const string MeterName = "FlashSale.Engine";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Requests one loop turn took from the intake (the batch size before local refusals).</summary>
    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        "flashsale.engine.batch.size", "{request}", "Requests decided by one turn of a sale's engine loop.");

    /// <summary>One authority call (Redis Lua or in-process) for a batch.</summary>
    public static readonly Histogram<double> AuthorityDuration = Meter.CreateHistogram<double>(
        "flashsale.engine.authority.duration", "ms", "Time of one authority call deciding a batch.");

    /// <summary>The engine's wait for the journal to commit a batch's accepted orders.</summary>
    public static readonly Histogram<double> CommitWait = Meter.CreateHistogram<double>(
        "flashsale.engine.commit.wait", "ms", "Time a batch waited for its accepted orders to be committed.");

    /// <summary>Orders written by one journal transaction (several batches of several sales group-commit together).</summary>
    public static readonly Histogram<int> JournalRows = Meter.CreateHistogram<int>(
        "flashsale.journal.commit.rows", "{order}", "Orders written by one journal transaction.");

    /// <summary>One journal transaction, from its first write to COMMIT returning.</summary>
    public static readonly Histogram<double> JournalDuration = Meter.CreateHistogram<double>(
        "flashsale.journal.commit.duration", "ms", "Time of one journal transaction.");

    /// <summary>Milliseconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public static double MillisecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}
