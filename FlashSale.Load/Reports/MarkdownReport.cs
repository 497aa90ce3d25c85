using System.Globalization;
using System.Text;
using FlashSale.Load.Audit;

namespace FlashSale.Load.Reports;

/// <summary>The report to paste into a review: run, machine, results per step and outcome, thresholds, audit, verdict.</summary>
internal static class MarkdownReport
{
    public static string Render(RunReport r)
    {
        var md = new StringBuilder();
        void Line(FormattableString s) => md.AppendLine(s.ToString(CultureInfo.InvariantCulture));

        Line($"# FlashSale load report: {r.Run.Scenario}");
        md.AppendLine();
        Line($"**Verdict: {(r.Verdict.Passed ? "PASSED" : "FAILED")}** (exit code {r.Verdict.ExitCode}){(r.Verdict.Reasons.Count > 0 ? ": " + string.Join("; ", r.Verdict.Reasons) : "")}");
        md.AppendLine();

        md.AppendLine("## Run").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        Line($"| scenario | {r.Run.Scenario}: {Cell(r.Run.Description)} |");
        Line($"| target | {r.Run.Target} |");
        Line($"| load | {LoadShape(r.Run)} |");
        Line($"| window | warm-up {Fmt.Num(r.Run.WarmupSeconds)} s (excluded), measured {Fmt.Num(r.Run.MeasuredSeconds)} s |");
        Line($"| started / ended | {Fmt.Time(r.Run.StartedAt)} / {Fmt.Time(r.Run.EndedAt)} |");
        Line($"| seed | {r.Run.Seed} |");
        if (r.Run.SaleId is { } sale)
        {
            Line($"| sale | {sale} |");
        }

        Line($"| command | `{r.Run.CommandLine}` |");
        md.AppendLine();

        md.AppendLine("## Machine").AppendLine();
        md.AppendLine("| | |").AppendLine("|---|---|");
        Line($"| OS | {Cell(r.Machine.Os)} ({r.Machine.Architecture}) |");
        Line($"| cores | {r.Machine.Cores} |");
        Line($"| .NET | {Cell(r.Machine.DotNet)} |");
        Line($"| git commit | {r.Machine.GitCommit} |");
        Line($"| host | {Cell(r.Machine.HostName)} |");
        Line($"| load average at start | {Fmt.LoadAverage(r.Machine.LoadAverage)} |");
        md.AppendLine();

        md.AppendLine("## Options").AppendLine();
        md.AppendLine("| option | value |").AppendLine("|---|---|");
        foreach (var (name, value) in r.Options)
        {
            Line($"| {name} | {Cell(value)} |");
        }

        md.AppendLine();
        md.AppendLine("## Results").AppendLine();
        var t = r.Totals;
        Line($"{t.Requests} requests, {Fmt.Rate(t.Rps)}/s: {t.Ok} ok, {t.Refused} refused, {t.Errors} errors, {t.Timeouts} timeouts (error rate {Fmt.Percent(t.ErrorRate)}); p50 {Fmt.Ms(t.Latency.P50Ms)} ms, p99 {Fmt.Ms(t.Latency.P99Ms)} ms, max {Fmt.Ms(t.Latency.MaxMs)} ms.");
        md.AppendLine();
        md.AppendLine("| step | outcome | count | rps | mean ms | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |");
        md.AppendLine("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var step in r.Steps)
        {
            Row(md, step.Name, "**all**", step.Count, step.Rps, step.Latency);
            foreach (var o in step.Outcomes)
            {
                Row(md, "", $"{o.Name} ({o.Kind.ToString().ToLowerInvariant()})", o.Count, o.Rps, o.Latency);
            }
        }

        md.AppendLine();
        md.AppendLine("Latencies are measured from the intended send time in the open model, so waiting for a slow host counts. `event-lag` is the WebSocket delay from the host's `sentAt` (or from the socket's subscription, for a frame published before it) to receipt; `snapshot-age` is how old the frames a subscription starts with were (when the sale last changed), apart from the lag.");
        md.AppendLine();

        if (r.WebSockets is { } ws)
        {
            md.AppendLine("## WebSockets").AppendLine();
            Line($"Peak open sockets {ws.PeakOpenSockets}; frames received {ws.Frames}, of which {ws.FramesWithSentAt} carried `sentAt` (event lag measured on those).");
            md.AppendLine();
        }

        if (r.Workers is { Count: > 0 } workers)
        {
            md.AppendLine("## Workers").AppendLine();
            md.AppendLine("| worker | shoppers | requests | ok | refused | errors | measured s |").AppendLine("|---|--:|--:|--:|--:|--:|--:|");
            foreach (var w in workers)
            {
                Line($"| {w.Worker} | {w.Shoppers} | {w.Requests} | {w.Ok} | {w.Refused} | {w.Errors} | {Fmt.Num(w.MeasuredSeconds)} |");
            }

            md.AppendLine();
        }

        md.AppendLine("## Time series").AppendLine();
        md.AppendLine("| second | step | count | rps | errors | p50 ms | p99 ms | max ms |");
        md.AppendLine("|--:|---|--:|--:|--:|--:|--:|--:|");
        foreach (var p in r.TimeSeries.Where(p => p.Count > 0))
        {
            Line($"| {Fmt.Num(p.Second)}{(p.Warmup ? " (warm-up)" : "")} | {p.Step} | {p.Count} | {Fmt.Rate(p.Rps)} | {p.Errors} | {Fmt.Ms(p.P50Ms)} | {Fmt.Ms(p.P99Ms)} | {Fmt.Ms(p.MaxMs)} |");
        }

        md.AppendLine();
        md.AppendLine("## Thresholds").AppendLine();
        if (r.Thresholds.Count == 0)
        {
            md.AppendLine("None given.");
        }
        else
        {
            md.AppendLine("| threshold | result | measured |").AppendLine("|---|---|---|");
            foreach (var th in r.Thresholds)
            {
                Line($"| `{th.Threshold}` | {(th.Passed ? "pass" : "**FAIL**")} | {Cell(th.Detail)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## Audit").AppendLine();
        if (r.Audit is not { } audit)
        {
            md.AppendLine("Not run (not a purchase scenario, --no-audit, or the run did not get that far).");
        }
        else
        {
            Line($"**{(audit.Passed ? "PASSED" : "FAILED")}**");
            md.AppendLine();
            md.AppendLine("| check | result | detail |").AppendLine("|---|---|---|");
            foreach (var c in audit.Checks)
            {
                Line($"| {c.Name} | {Status(c.Status)} | {Cell(c.Detail)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## Notes").AppendLine();
        if (r.Notes.Count == 0)
        {
            md.AppendLine("None.");
        }

        foreach (var note in r.Notes)
        {
            md.Append("- ").AppendLine(note);
        }

        return md.ToString();
    }

    public static string LoadShape(RunInfo run) => run.Model == "open"
        ? string.Create(CultureInfo.InvariantCulture, $"open model, {Fmt.Num(run.Rate ?? 0)} arrivals/s, ramp {Fmt.Num(run.RampSeconds)} s")
        : string.Create(CultureInfo.InvariantCulture, $"closed model, {run.Users} users, ramp {Fmt.Num(run.RampSeconds)} s");

    private static string Status(CheckStatus status) => status switch
    {
        CheckStatus.Passed => "pass",
        CheckStatus.Failed => "**FAIL**",
        _ => "skipped",
    };

    private static void Row(StringBuilder md, string step, string outcome, long count, double rps, Stats.LatencySummary l) =>
        md.AppendLine(CultureInfo.InvariantCulture,
            $"| {step} | {outcome} | {count} | {Fmt.Rate(rps)} | {Fmt.Ms(l.MeanMs)} | {Fmt.Ms(l.P50Ms)} | {Fmt.Ms(l.P90Ms)} | {Fmt.Ms(l.P99Ms)} | {Fmt.Ms(l.P999Ms)} | {Fmt.Ms(l.MaxMs)} |");

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
