using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlashSale.Engine.Core;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// The host's own measurements beside the engine's (<see cref="EngineMetrics"/>), on the <c>FlashSale.Host</c> meter:
/// purchases by outcome, live sockets and their frames, the reconciler, the expiry sweeper, the audit and whether
/// Redis and PostgreSQL answer. Each figure is recorded where it is known (the purchase endpoint, the hub, the
/// background loops); the Prometheus endpoint, OTLP and the admin page's charts all read these same instruments.
/// Like the engine's, recording without a listener costs a branch, and the per-request ones reuse cached tag arrays so
/// a purchase or a frame allocates nothing.
/// </summary>
public static class HostMetrics
{
    public const string MeterName = "FlashSale.Host";

    private static readonly Meter Meter = new(MeterName, "1.0");

    /// <summary>Purchase requests answered by the engine, by sale and outcome (<c>accepted</c>, <c>sold_out</c>…).</summary>
    public static readonly Counter<long> Purchases = Meter.CreateCounter<long>(
        "flashsale.purchases", "{request}", "Purchase requests decided, by sale and outcome.");

    /// <summary>Open live sockets on this host.</summary>
    public static readonly UpDownCounter<long> SocketsOpen = Meter.CreateUpDownCounter<long>(
        "flashsale.realtime.sockets", "{socket}", "Live sockets open on this host.");

    /// <summary>Sale frames handed to sockets (one per socket per frame), by sale.</summary>
    public static readonly Counter<long> Frames = Meter.CreateCounter<long>(
        "flashsale.realtime.frames", "{frame}", "Sale frames handed to this host's sockets, by sale.");

    /// <summary>
    /// From a frame's <c>sentAt</c> (the publisher's clock when it built the frame) to the moment this host handed it to
    /// its last subscriber: the relay through Redis plus the fan-out. Buckets around the 250 ms alert threshold.
    /// </summary>
    public static readonly Histogram<double> FrameLag = Meter.CreateHistogram(
        "flashsale.realtime.frame.lag", "ms", "Time from a frame's publication to this host's sockets, by sale.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000] });

    /// <summary>Reconciler passes, by outcome (<c>ok</c>, <c>failed</c>).</summary>
    public static readonly Counter<long> ReconcilerPasses = Meter.CreateCounter<long>(
        "flashsale.reconciler.passes", "{pass}", "Reconciler passes over the Redis order streams, by outcome.");

    /// <summary>Orders the reconciler wrote to PostgreSQL because their engine's commit had not (replays).</summary>
    public static readonly Counter<long> ReconcilerReplayed = Meter.CreateCounter<long>(
        "flashsale.reconciler.replayed", "{order}", "Stream entries the reconciler committed to PostgreSQL.");

    /// <summary>Stream entries the last pass found waiting (committed or trimmed): what failed or interrupted commits left.</summary>
    public static readonly Gauge<long> ReconcilerBacklog = Meter.CreateGauge<long>(
        "flashsale.reconciler.backlog", "{entry}", "Order stream entries the last reconciler pass found.");

    /// <summary>Unix time of the last reconciler pass that finished without error.</summary>
    public static readonly Gauge<double> ReconcilerLastSuccess = Meter.CreateGauge<double>(
        "flashsale.reconciler.last_success", "s", "Unix time of the last successful reconciler pass.");

    /// <summary>Reserved orders past their payment deadline (and grace) that the sweeper has not expired yet.</summary>
    public static readonly Gauge<long> SweeperOverdue = Meter.CreateGauge<long>(
        "flashsale.sweeper.overdue", "{order}", "Reserved orders past their deadline not yet expired.");

    /// <summary>Expired or cancelled orders whose units are not back in stock yet.</summary>
    public static readonly Gauge<long> SweeperPendingReturns = Meter.CreateGauge<long>(
        "flashsale.sweeper.pending_returns", "{order}", "Ended orders whose units were not returned yet.");

    /// <summary>Unix time of the last sweep that finished without error.</summary>
    public static readonly Gauge<double> SweeperLastSuccess = Meter.CreateGauge<double>(
        "flashsale.sweeper.last_success", "s", "Unix time of the last successful expiry sweep.");

    /// <summary>1 when the last audit of the sale found its books unbalanced, else 0.</summary>
    public static readonly Gauge<int> AuditInconsistent = Meter.CreateGauge<int>(
        "flashsale.audit.inconsistent", "{sale}", "1 when the sale's last audit did not balance.");

    /// <summary>1 when the last probe of the dependency (<c>postgres</c>, <c>redis</c>) answered, else 0.</summary>
    public static readonly Gauge<int> DependencyUp = Meter.CreateGauge<int>(
        "flashsale.dependency.up", "{dependency}", "1 when the dependency answered its last probe.");

    /// <summary>Shoppers waiting in a sale's line (tickets issued and not admitted yet), from the host leading its admissions.</summary>
    public static readonly Gauge<long> LineLength = Meter.CreateGauge<long>(
        "flashsale.line.length", "{shopper}", "Shoppers waiting in a sale's line, by sale.");

    /// <summary>Shoppers the admission loop let in, by sale.</summary>
    public static readonly Counter<long> LineAdmitted = Meter.CreateCounter<long>(
        "flashsale.line.admitted", "{shopper}", "Shoppers admitted from a sale's line, by sale.");

    /// <summary>Admitted shoppers whose window to buy is still open, by sale.</summary>
    public static readonly Gauge<long> LineAdmittedLive = Meter.CreateGauge<long>(
        "flashsale.line.admitted_live", "{shopper}", "Admitted shoppers whose window to buy is open, by sale.");

    /// <summary>Shoppers in a sale's line who are away (no socket, no recent poll): skipped by admission, keeping their place.</summary>
    public static readonly Gauge<long> LineAbsent = Meter.CreateGauge<long>(
        "flashsale.line.absent", "{shopper}", "Shoppers in a sale's line who are away, by sale.");

    /// <summary>A sale's remaining stock as its last live snapshot read it.</summary>
    public static readonly Gauge<long> SaleRemaining = Meter.CreateGauge<long>(
        "flashsale.sale.remaining", "{unit}", "A sale's remaining stock at its last live snapshot, by sale.");

    /// <summary>This host's sockets subscribed to a sale, when its frames were last published.</summary>
    public static readonly Gauge<long> SaleSubscribers = Meter.CreateGauge<long>(
        "flashsale.realtime.subscribers", "{socket}", "This host's sockets subscribed to a sale, by sale.");

    /// <summary>Outcome tag values, indexed by <see cref="PurchaseStatus"/>.</summary>
    private static readonly string[] OutcomeNames = Enum.GetValues<PurchaseStatus>().Order().Select(Snake).ToArray();

    private static readonly ConcurrentDictionary<Guid, SaleTags> Tags = new();

    /// <summary>Counts one decided purchase (no allocation once the sale was seen; a branch without a listener).</summary>
    public static void CountPurchase(Guid saleId, PurchaseStatus status)
    {
        if (Purchases.Enabled)
        {
            Purchases.Add(1, For(saleId).Outcomes[(int)status]);
        }
    }

    /// <summary>
    /// Counts the frames of one fan-out and records how late it reached the sockets (a negative
    /// <paramref name="lagMilliseconds"/> means unknown: nothing is recorded for the lag).
    /// </summary>
    public static void CountFrames(Guid saleId, int sockets, double lagMilliseconds)
    {
        if (sockets <= 0 || !Frames.Enabled)
        {
            return;
        }
        var tags = For(saleId).Sale;
        Frames.Add(sockets, tags);
        if (lagMilliseconds >= 0)
        {
            FrameLag.Record(lagMilliseconds, tags);
        }
    }

    /// <summary>Records what the live publisher read of a sale: its remaining stock and this host's subscribers.</summary>
    public static void RecordSale(Guid saleId, int remaining, int subscribers)
    {
        if (SaleRemaining.Enabled)
        {
            var tags = For(saleId).Sale;
            SaleRemaining.Record(remaining, tags);
            SaleSubscribers.Record(subscribers, tags);
        }
    }

    /// <summary>The <c>sale</c> tag of a sale, cached.</summary>
    public static KeyValuePair<string, object?>[] SaleTag(Guid saleId) => For(saleId).Sale;

    /// <summary>Forgets a sale's cached tags (when its engine retires).</summary>
    public static void Forget(Guid saleId) => Tags.TryRemove(saleId, out _);

    private static SaleTags For(Guid saleId) =>
        Tags.TryGetValue(saleId, out var tags) ? tags : Tags.GetOrAdd(saleId, static id => new SaleTags(id));

    private static string Snake(PurchaseStatus status)
    {
        var name = status.ToString();
        var builder = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }

    private sealed class SaleTags
    {
        public SaleTags(Guid saleId)
        {
            var sale = saleId.ToString("D");
            Sale = [new("sale", sale)];
            Outcomes = OutcomeNames.Select(o => new KeyValuePair<string, object?>[] { new("sale", sale), new("outcome", o) }).ToArray();
        }

        public KeyValuePair<string, object?>[] Sale { get; }

        public KeyValuePair<string, object?>[][] Outcomes { get; }
    }
}
