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

    /// <summary>
    /// Requests the engine answered Overloaded or Unavailable (the host's 503s), by cause (the <c>cause</c> tag, see
    /// <see cref="UnavailableCause"/>): whether shoppers are turned away because the sale is swamped, because Redis or
    /// PostgreSQL failed, or because a rebuild fenced a commit off tells an operator where to look.
    /// </summary>
    public static readonly Counter<long> Unavailable = Meter.CreateCounter<long>(
        "flashsale.engine.unavailable", "{request}", "Requests answered 503 (overloaded or unavailable), by cause.");

    // One tag per cause, indexed by the enum's value: the tag is the cause's name in lower case.
    private static readonly KeyValuePair<string, object?>[] CauseTags =
        [.. Enum.GetValues<UnavailableCause>().Order().Select(c => new KeyValuePair<string, object?>("cause", c.ToString().ToLowerInvariant()))];

    /// <summary>Counts <paramref name="requests"/> answered 503 for <paramref name="cause"/> (no allocation; a branch without a listener).</summary>
    public static void CountUnavailable(UnavailableCause cause, int requests)
    {
        if (requests > 0 && Unavailable.Enabled)
        {
            Unavailable.Add(requests, CauseTags[(int)cause]);
        }
    }

    /// <summary>Milliseconds since a <see cref="Stopwatch.GetTimestamp"/> value.</summary>
    public static double MillisecondsSince(long startTimestamp) => Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds;
}

/// <summary>Why a request was answered 503; the <c>cause</c> tag of <see cref="EngineMetrics.Unavailable"/>.</summary>
public enum UnavailableCause
{
    /// <summary>"overloaded": the sale's intake queue was full.</summary>
    Overloaded = 0,

    /// <summary>"authority": the stock authority (Redis, or a rebuild reading PostgreSQL) failed; nothing was decided.</summary>
    Authority = 1,

    /// <summary>"journal": the commit of accepted orders to PostgreSQL failed; the orders wait in the authority's log.</summary>
    Journal = 2,

    /// <summary>"fenced": a rebuild moved the sale's epoch while the batch committed; nothing was confirmed.</summary>
    Fenced = 3,

    /// <summary>"stopping": the host is shutting down and takes no new request.</summary>
    Stopping = 4,

    /// <summary>"fault": an unexpected error in the engine loop answered its batch Unavailable.</summary>
    Fault = 5,
}
