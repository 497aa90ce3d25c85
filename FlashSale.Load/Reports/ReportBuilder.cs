using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;
using FlashSale.Load.Thresholds;

namespace FlashSale.Load.Reports;

/// <summary>Everything the run measured and decided, folded into one <see cref="RunReport"/>.</summary>
internal static class ReportBuilder
{
    public static RunReport Build(
        LoadOptions options,
        IScenario scenario,
        RunStatistics stats,
        IReadOnlyList<TimeSeriesPoint> series,
        WebSocketReport? webSockets,
        IReadOnlyList<ThresholdResult> thresholds,
        AuditReport? audit,
        IReadOnlyList<string> notes,
        Verdict verdict,
        MachineInfo machine,
        DateTimeOffset startedAt,
        DateTimeOffset endedAt,
        Guid? saleId,
        IReadOnlyList<WorkerSummary>? workers = null)
    {
        var run = new RunInfo(
            scenario.Name,
            scenario.Description,
            options.Target.GetLeftPart(UriPartial.Authority),
            options.IsOpenModel ? "open" : "closed",
            options.Users,
            options.Rate,
            options.Ramp.TotalSeconds,
            options.Warmup.TotalSeconds,
            options.Duration.TotalSeconds,
            Math.Round(stats.MeasuredSeconds, 3),
            options.Seed,
            startedAt,
            endedAt,
            options.CommandLine.Count > 0 ? "FlashSale.Load " + string.Join(' ', Redact(options.CommandLine).Select(Quote)) : "(in-process)",
            saleId);

        return new RunReport(
            "FlashSale.Load",
            run,
            machine,
            OptionsBinder.Describe(options),
            Totals(stats),
            stats.Steps.Select(s => Step(s, stats)).ToList(),
            series,
            webSockets,
            thresholds,
            audit,
            notes,
            verdict,
            workers);
    }

    public static TotalsReport Totals(RunStatistics stats)
    {
        var all = stats.Overall();
        var requests = all.All.TotalCount;
        return new TotalsReport(
            requests,
            all.Count(k => k == OutcomeKind.Ok),
            all.Count(k => k == OutcomeKind.Refused),
            all.Count(k => k == OutcomeKind.Error),
            all.Count(k => k == OutcomeKind.Timeout),
            Math.Round(stats.Rps(requests), 2),
            requests == 0 ? 0 : Math.Round((double)all.Failures / requests, 6),
            LatencySummary.From(all.All));
    }

    private static StepReport Step(StepResult s, RunStatistics stats)
    {
        var count = s.All.TotalCount;
        return new StepReport(
            s.Name,
            s.IsRequest,
            count,
            Math.Round(stats.Rps(count), 2),
            count == 0 ? 0 : Math.Round((double)s.Failures / count, 6),
            LatencySummary.From(s.All),
            s.Outcomes.Select(o => new OutcomeReport(o.Outcome.Name, o.Outcome.Kind, o.Histogram.TotalCount, Math.Round(stats.Rps(o.Histogram.TotalCount), 2), LatencySummary.From(o.Histogram))).ToList(),
            LatencySummary.Distribution(s.All));
    }

    /// <summary>The admin password never lands in a report.</summary>
    public static IEnumerable<string> Redact(IReadOnlyList<string> args)
    {
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--admin-password" && i + 1 < args.Count)
            {
                yield return args[i];
                yield return "***";
                i++;
            }
            else
            {
                yield return args[i].StartsWith("--admin-password=", StringComparison.Ordinal) ? "--admin-password=***" : args[i];
            }
        }
    }

    private static string Quote(string arg) => arg.Contains(' ', StringComparison.Ordinal) || arg.Contains('<', StringComparison.Ordinal) || arg.Contains('>', StringComparison.Ordinal)
        ? "\"" + arg.Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
        : arg;
}
