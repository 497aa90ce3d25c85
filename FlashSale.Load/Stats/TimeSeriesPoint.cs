namespace FlashSale.Load.Stats;

/// <summary>One step during one second of the run (latencies in milliseconds).</summary>
internal sealed record TimeSeriesPoint(
    double Second,
    string Step,
    long Count,
    long Ok,
    long Refused,
    long Errors,
    double Rps,
    double P50Ms,
    double P90Ms,
    double P99Ms,
    double MaxMs,
    bool Warmup);
