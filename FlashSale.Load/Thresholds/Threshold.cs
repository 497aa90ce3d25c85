namespace FlashSale.Load.Thresholds;

internal enum Comparison
{
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    Equal,
}

/// <summary>
/// One pass/fail rule: <c>[step[:outcome].]metric op value[unit]</c>. Latency metrics are held in
/// milliseconds, rates (errors, refusals) as fractions, rps per second, count as a plain number.
/// </summary>
internal sealed record Threshold(string Text, string? Step, string? Outcome, string Metric, Comparison Op, double Value)
{
    public bool IsLatency => Metric is "max" or "min" or "mean" || Metric.StartsWith('p');

    public bool Holds(double actual) => Op switch
    {
        Comparison.Less => actual < Value,
        Comparison.LessOrEqual => actual <= Value,
        Comparison.Greater => actual > Value,
        Comparison.GreaterOrEqual => actual >= Value,
        _ => Math.Abs(actual - Value) < 1e-9,
    };
}

/// <summary>A rule and what the run measured for it.</summary>
internal sealed record ThresholdResult(string Threshold, bool Passed, double? Actual, string Detail);
