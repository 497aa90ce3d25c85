using System.Globalization;
using FlashSale.Load.Stats;
using HdrHistogram;

namespace FlashSale.Load.Thresholds;

/// <summary>Reads each rule's metric from the run's statistics. A rule about a step the run never measured fails.</summary>
internal static class ThresholdEvaluator
{
    public static IReadOnlyList<ThresholdResult> Evaluate(IEnumerable<Threshold> thresholds, RunStatistics stats) =>
        thresholds.Select(t => Evaluate(t, stats)).ToList();

    public static ThresholdResult Evaluate(Threshold t, RunStatistics stats)
    {
        var step = t.Step is null ? stats.Overall() : stats.Find(t.Step);
        if (step is null)
        {
            return new ThresholdResult(t.Text, false, null, $"no step '{t.Step}' was measured");
        }

        HistogramBase histogram;
        if (t.Outcome is null)
        {
            histogram = step.All;
        }
        else if (step.Find(t.Outcome) is { } outcome)
        {
            histogram = outcome.Histogram;
        }
        else
        {
            // An outcome that never happened has count 0 and rate 0; a latency of it cannot be judged.
            histogram = LatencyHistograms.Create();
        }

        var total = step.All.TotalCount;
        double? actual = t.Metric switch
        {
            "count" => histogram.TotalCount,
            "rps" => stats.Rps(histogram.TotalCount),
            "errors" => total == 0 ? 0 : (double)step.Failures / total,
            "error-count" => step.Failures,
            "refusals" => total == 0 ? 0 : (double)step.Count(k => k == OutcomeKind.Refused) / total,
            _ when histogram.TotalCount == 0 => null,
            "min" => LatencyHistograms.ToMs(histogram.LowestEquivalentValue(histogram.RecordedValues().First().ValueIteratedTo)),
            "mean" => histogram.GetMean() / 1000.0,
            "max" => LatencyHistograms.ToMs(histogram.GetMaxValue()),
            _ => LatencySummary.PercentileMs(histogram, double.Parse(t.Metric[1..], CultureInfo.InvariantCulture)),
        };

        if (actual is not { } value)
        {
            return new ThresholdResult(t.Text, false, null, "nothing was measured for it");
        }

        var passed = t.Holds(value);
        return new ThresholdResult(t.Text, passed, Math.Round(value, 4), $"measured {Format(t, value)}");
    }

    private static string Format(Threshold t, double value) => t.Metric switch
    {
        "errors" or "refusals" => (value * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%",
        "rps" => value.ToString("0.#", CultureInfo.InvariantCulture) + "/s",
        "count" or "error-count" => value.ToString("0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture) + "ms",
    };
}
