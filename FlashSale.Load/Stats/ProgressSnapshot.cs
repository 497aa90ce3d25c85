namespace FlashSale.Load.Stats;

/// <summary>What the live display shows once a second.</summary>
internal sealed record ProgressSnapshot(
    TimeSpan Elapsed,
    TimeSpan Total,
    string Phase,
    int ActiveUsers,
    double Rps,
    double P99Ms,
    long Requests,
    long Failures,
    IReadOnlyList<TimeSeriesPoint> Steps);
