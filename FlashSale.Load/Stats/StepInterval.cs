using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>What one step measured during one interval of the run: the counts and the histogram of all its outcomes.</summary>
internal sealed record StepInterval(
    double Second,
    double IntervalSeconds,
    string Step,
    bool IsRequest,
    long Ok,
    long Refused,
    long Errors,
    bool Warmup,
    HistogramBase Histogram);
