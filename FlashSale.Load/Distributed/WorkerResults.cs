using FlashSale.Load.Audit;
using FlashSale.Load.Reports;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Distributed;

/// <summary>The workers' results folded into one run: histograms added, seconds lined up, purchases renumbered.</summary>
internal sealed record MergedLoad(
    RunStatistics Statistics,
    IReadOnlyList<TimeSeriesPoint> Series,
    IReadOnlyList<PurchaseRecord> Purchases,
    IReadOnlyList<string> Notes,
    WebSocketReport? WebSockets,
    IReadOnlyList<WorkerSummary> Workers,
    bool Interrupted,
    long? LineInversions);

internal static class WorkerResults
{
    /// <summary>What a worker sends back, from its run's outcome.</summary>
    public static WorkerResult From(WorkerPlan plan, RunOutcome outcome)
    {
        var report = outcome.Report;
        var failed = outcome.ExitCode == LoadRunner.ExitSetup;
        return new WorkerResult(
            plan.Worker,
            plan.Index,
            report.Run.MeasuredSeconds,
            (outcome.Statistics?.Steps ?? []).Select(s => new EncodedStep(
                s.Name, s.IsRequest, s.Outcomes.Select(o => new EncodedOutcome(o.Outcome.Name, o.Outcome.Kind, HistogramCodec.Encode(o.Histogram))).ToList())).ToList(),
            outcome.Intervals.Select(i => new EncodedInterval(i.Second, i.IntervalSeconds, i.Step, i.IsRequest, i.Ok, i.Refused, i.Errors, i.Warmup, HistogramCodec.Encode(i.Histogram))).ToList(),
            outcome.Purchases,
            report.Notes,
            report.WebSockets,
            report.Verdict.Reasons.Contains("interrupted"),
            failed ? string.Join("; ", report.Verdict.Reasons) : null,
            outcome.LineInversions);
    }

    public static MergedLoad Merge(IReadOnlyList<WorkerResult> results, IReadOnlyList<WorkerPlan> plans)
    {
        var ordered = results.OrderBy(r => r.Index).ToList();
        var steps = ordered.SelectMany(r => r.Steps)
            .GroupBy(s => s.Name, StringComparer.Ordinal)
            .Select(g => new StepResult(g.Key, g.First().IsRequest, g.SelectMany(s => s.Outcomes)
                .GroupBy(o => new Outcome(o.Name, o.Kind))
                .Select(o => new OutcomeResult(o.Key, StepResult.Merge(o.Select(x => HistogramCodec.Decode(x.Histogram)))))
                .OrderBy(o => o.Outcome.Kind).ThenByDescending(o => o.Histogram.TotalCount)
                .ToList()))
            .ToList();
        var measured = ordered.Count == 0 ? 0 : ordered.Max(r => r.MeasuredSeconds);

        // Workers start on one "go" and tick once a second each: their n-th intervals cover the same second.
        var series = ordered.SelectMany(r => r.Intervals)
            .GroupBy(i => (Second: Math.Ceiling(i.Second - 1e-6), i.Step))
            .OrderBy(g => g.Key.Second)
            .Select(g => StatsCollector.Point(
                g.Key.Second, g.Max(i => i.IntervalSeconds), g.Key.Step, g.Sum(i => i.Ok), g.Sum(i => i.Refused), g.Sum(i => i.Errors),
                StepResult.Merge(g.Select(i => HistogramCodec.Decode(i.Histogram))), g.First().Warmup))
            .ToList();

        var indexes = plans.ToDictionary(p => p.Worker, p => p.ShopperIndexes, StringComparer.Ordinal);
        var purchases = ordered.SelectMany(r => r.Purchases.Select(p => p with { ShopperIndex = indexes[r.Worker][p.ShopperIndex] })).ToList();
        var sockets = ordered.Where(r => r.WebSockets is not null).Select(r => r.WebSockets!).ToList();
        var workers = ordered.Select(r =>
        {
            var requestSteps = r.Steps.Where(s => s.IsRequest).SelectMany(s => s.Outcomes).Select(o => (o.Kind, Count: HistogramCodec.Decode(o.Histogram).TotalCount)).ToList();
            return new WorkerSummary(
                r.Worker,
                plans.First(p => p.Worker == r.Worker).Shoppers.Count,
                requestSteps.Sum(x => x.Count),
                requestSteps.Where(x => x.Kind == OutcomeKind.Ok).Sum(x => x.Count),
                requestSteps.Where(x => x.Kind == OutcomeKind.Refused).Sum(x => x.Count),
                requestSteps.Where(x => x.Kind is OutcomeKind.Error or OutcomeKind.Timeout).Sum(x => x.Count),
                r.MeasuredSeconds);
        }).ToList();

        return new MergedLoad(
            new RunStatistics(steps, measured),
            series,
            purchases,
            ordered.SelectMany(r => r.Notes).Distinct(StringComparer.Ordinal).ToList(),
            // Peaks are summed: an upper bound, as the workers' peaks need not fall in the same instant.
            sockets.Count == 0 ? null : new WebSocketReport(sockets.Sum(s => s.PeakOpenSockets), sockets.Sum(s => s.Frames), sockets.Sum(s => s.FramesWithSentAt)),
            workers,
            ordered.Any(r => r.Interrupted),
            ordered.Any(r => r.LineInversions is not null) ? ordered.Sum(r => r.LineInversions ?? 0) : null);
    }
}
