using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>One place for the histogram shape, so every histogram of a run can be added to any other.</summary>
internal static class LatencyHistograms
{
    /// <summary>Values are microseconds; 1 µs to 5 minutes at 3 significant digits (0.1 % error).</summary>
    public const long Lowest = 1;
    public const long Highest = 300_000_000;
    public const int Digits = 3;

    public static LongHistogram Create() => new(Lowest, Highest, Digits);

    /// <summary>A recorder whose active histogram takes concurrent writers (many workers, one reader).</summary>
    public static Recorder CreateRecorder() =>
        new(Lowest, Highest, Digits, static (id, low, high, digits) => new LongConcurrentHistogram(id, low, high, digits));

    /// <summary>Clamps so a freak value never throws inside a worker.</summary>
    public static long Clamp(long micros) => Math.Clamp(micros, Lowest, Highest);

    public static double ToMs(long micros) => micros / 1000.0;

    public static long MicrosBetween(long startTimestamp, long endTimestamp) =>
        (long)((endTimestamp - startTimestamp) * 1_000_000.0 / System.Diagnostics.Stopwatch.Frequency);
}
