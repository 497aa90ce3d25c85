using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>The numbers a report shows for one histogram, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double MeanMs, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0, 0, 0, 0);

    public static LatencySummary From(HistogramBase h) =>
        h.TotalCount == 0
            ? Empty
            : new LatencySummary(
                h.TotalCount,
                Math.Round(h.GetMean() / 1000.0, 3),
                PercentileMs(h, 50),
                PercentileMs(h, 90),
                PercentileMs(h, 99),
                PercentileMs(h, 99.9),
                LatencyHistograms.ToMs(h.GetMaxValue()));

    /// <summary>Reads a percentile (0–100) in milliseconds; 100 is the maximum.</summary>
    public static double PercentileMs(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0
        : percentile >= 100 ? LatencyHistograms.ToMs(h.GetMaxValue())
        : LatencyHistograms.ToMs(h.GetValueAtPercentile(percentile));

    /// <summary>The percentile curve the HTML chart draws (log-spaced towards the tail).</summary>
    public static IReadOnlyList<PercentilePoint> Distribution(HistogramBase h)
    {
        double[] levels = [0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 100];
        return h.TotalCount == 0 ? [] : levels.Select(p => new PercentilePoint(p, PercentileMs(h, p))).ToList();
    }
}

internal sealed record PercentilePoint(double Percentile, double Ms);
