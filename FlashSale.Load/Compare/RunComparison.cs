using FlashSale.Load.Audit;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Compare;

/// <summary>How run B's figure stands against run A's.</summary>
internal enum Judgement
{
    /// <summary>The per-second samples do not tell the runs apart: noise.</summary>
    NoChange,
    Better,
    Worse,

    /// <summary>Fewer than <see cref="RunComparer.MinSamples"/> measured seconds on a side: the change is shown, not judged.</summary>
    TooFewSamples,

    /// <summary>Only one run (or neither) measured it.</summary>
    NotMeasured,
}

/// <summary>One figure of one step in both runs: the whole-run values, the change, and whether it is beyond noise.</summary>
internal sealed record MetricComparison(
    string Step,
    string Metric,
    double? A,
    double? B,
    double? ChangePercent,
    double? PValue,
    int SamplesA,
    int SamplesB,
    Judgement Judgement)
{
    public bool BeyondNoise => Judgement is Judgement.Better or Judgement.Worse;
}

internal sealed record StepComparison(
    string Name,
    bool IsRequest,
    long? CountA,
    long? CountB,
    IReadOnlyList<MetricComparison> Metrics,
    IReadOnlyList<PercentilePoint> DistributionA,
    IReadOnlyList<PercentilePoint> DistributionB);

/// <summary>One fact about the two runs' machines; <see cref="Warn"/> when the difference can explain a change.</summary>
internal sealed record FactComparison(string Name, string A, string B, bool Warn);

internal sealed record CheckComparison(string Name, CheckStatus? A, CheckStatus? B, string? DetailA, string? DetailB)
{
    public bool Changed => A != B;
}

/// <summary>An audit count in both runs; a <see cref="Correctness"/> count above zero is a broken invariant.</summary>
internal sealed record FigureComparison(string Name, long? A, long? B, bool Correctness)
{
    public bool Changed => A is { } a && B is { } b && a != b;
}

internal sealed record RefusalComparison(string Step, string Outcome, long A, long B);

internal sealed record AuditComparison(
    bool? PassedA,
    bool? PassedB,
    IReadOnlyList<CheckComparison> Checks,
    IReadOnlyList<FigureComparison> Figures,
    IReadOnlyList<string> Changes)
{
    /// <summary>A check's result or a correctness count differs, or only one run was audited.</summary>
    public bool Changed => Changes.Count > 0;
}

/// <summary>A <c>--fail-if</c> rule and whether it fired.</summary>
internal sealed record RuleResult(string Rule, bool Fired, string Detail);

/// <summary>Everything <c>compare</c> found; the Markdown and HTML pages render it.</summary>
internal sealed record RunComparison(
    string NameA,
    string NameB,
    StoredReport A,
    StoredReport B,
    double Alpha,
    IReadOnlyList<FactComparison> Machine,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<StepComparison> Steps,
    IReadOnlyList<RefusalComparison> Refusals,
    AuditComparison Audit,
    IReadOnlyList<RuleResult> Rules)
{
    public bool Failed => Rules.Any(r => r.Fired);

    public MetricComparison? Find(string step, string metric) =>
        Steps.FirstOrDefault(s => string.Equals(s.Name, step, StringComparison.OrdinalIgnoreCase))?
            .Metrics.FirstOrDefault(m => string.Equals(m.Metric, metric, StringComparison.OrdinalIgnoreCase));
}
