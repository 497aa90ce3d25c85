using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>The measured histograms of one outcome of a step.</summary>
internal sealed record OutcomeResult(Outcome Outcome, HistogramBase Histogram);

/// <summary>The measured histograms of one step: each outcome, and all of them merged.</summary>
internal sealed class StepResult
{
    public StepResult(string name, bool isRequest, IReadOnlyList<OutcomeResult> outcomes)
    {
        Name = name;
        IsRequest = isRequest;
        Outcomes = outcomes;
        All = Merge(outcomes.Select(o => o.Histogram));
    }

    public string Name { get; }

    public bool IsRequest { get; }

    public IReadOnlyList<OutcomeResult> Outcomes { get; }

    public HistogramBase All { get; }

    public long Count(Func<OutcomeKind, bool> kind) => Outcomes.Where(o => kind(o.Outcome.Kind)).Sum(o => o.Histogram.TotalCount);

    public long Failures => Count(k => k is OutcomeKind.Error or OutcomeKind.Timeout);

    public OutcomeResult? Find(string outcome) =>
        Outcomes.FirstOrDefault(o => string.Equals(o.Outcome.Name, outcome, StringComparison.OrdinalIgnoreCase));

    public static HistogramBase Merge(IEnumerable<HistogramBase> histograms)
    {
        var merged = LatencyHistograms.Create();
        foreach (var h in histograms)
        {
            merged.Add(h);
        }

        return merged;
    }
}

/// <summary>What a run measured after the warm-up: every step, and how long the measured window was.</summary>
internal sealed class RunStatistics(IReadOnlyList<StepResult> steps, double measuredSeconds)
{
    public IReadOnlyList<StepResult> Steps { get; } = steps;

    public double MeasuredSeconds { get; } = measuredSeconds;

    public IEnumerable<StepResult> RequestSteps => Steps.Where(s => s.IsRequest);

    public StepResult? Find(string step) =>
        Steps.FirstOrDefault(s => string.Equals(s.Name, step, StringComparison.OrdinalIgnoreCase));

    /// <summary>Every request of every step as one pseudo-step: what thresholds without a step name read.</summary>
    public StepResult Overall() =>
        new("all", true, RequestSteps.SelectMany(s => s.Outcomes)
            .GroupBy(o => o.Outcome)
            .Select(g => new OutcomeResult(g.Key, StepResult.Merge(g.Select(o => o.Histogram))))
            .ToList());

    public double Rps(long count) => MeasuredSeconds > 0 ? count / MeasuredSeconds : 0;
}
