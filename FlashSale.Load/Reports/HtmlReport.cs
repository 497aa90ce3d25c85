using System.Globalization;
using System.Net;
using System.Text;
using FlashSale.Load.Audit;

namespace FlashSale.Load.Reports;

/// <summary>A self-contained page: the Markdown report's tables plus inline SVG charts (RPS and latency over time, latency distribution).</summary>
internal static class HtmlReport
{
    /// <summary>The pages' one style sheet (the compare page adds a few classes of its own).</summary>
    internal const string Style = """
        body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1000px;color:#111;padding:0 1rem}
        table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}th,td{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
        td.n{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f4f6}.pass{color:#15803d;font-weight:600}.fail{color:#b91c1c;font-weight:700}
        .skip{color:#6b7280}.verdict{font-size:1.3rem;padding:.6rem 1rem;border-radius:.4rem;display:inline-block}
        .verdict.pass{background:#dcfce7}.verdict.fail{background:#fee2e2}.chart{max-width:100%;height:auto;border:1px solid #eee;margin-bottom:1rem}code{background:#f3f4f6;padding:0 .2rem}
        """;

    public static string Render(RunReport r)
    {
        var h = new StringBuilder();
        void Add(FormattableString s) => h.Append(s.ToString(CultureInfo.InvariantCulture));
        Add($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        Add($"<title>FlashSale load report: {E(r.Run.Scenario)}</title><style>{Style}</style></head><body>\n");
        Add($"<h1>FlashSale load report: {E(r.Run.Scenario)}</h1>\n");
        var verdictClass = r.Verdict.Passed ? "pass" : "fail";
        Add($"<p class=\"verdict {verdictClass}\">Verdict: {(r.Verdict.Passed ? "PASSED" : "FAILED")} (exit code {r.Verdict.ExitCode}){E(r.Verdict.Reasons.Count > 0 ? ": " + string.Join("; ", r.Verdict.Reasons) : "")}</p>\n");

        Add($"<h2>Run</h2>\n");
        KeyValues(h, [
            ("scenario", $"{r.Run.Scenario}: {r.Run.Description}"),
            ("target", r.Run.Target),
            ("load", MarkdownReport.LoadShape(r.Run)),
            ("window", string.Create(CultureInfo.InvariantCulture, $"warm-up {Fmt.Num(r.Run.WarmupSeconds)} s (excluded), measured {Fmt.Num(r.Run.MeasuredSeconds)} s")),
            ("started / ended", $"{Fmt.Time(r.Run.StartedAt)} / {Fmt.Time(r.Run.EndedAt)}"),
            ("seed", Fmt.Int(r.Run.Seed)),
            ("sale", r.Run.SaleId?.ToString() ?? "none"),
            ("command", r.Run.CommandLine),
        ]);

        Add($"<h2>Machine</h2>\n");
        KeyValues(h, [
            ("OS", $"{r.Machine.Os} ({r.Machine.Architecture})"),
            ("cores", Fmt.Int(r.Machine.Cores)),
            (".NET", r.Machine.DotNet),
            ("git commit", r.Machine.GitCommit),
            ("host", r.Machine.HostName),
            ("load average at start", Fmt.LoadAverage(r.Machine.LoadAverage)),
        ]);

        Add($"<h2>Options</h2>\n");
        KeyValues(h, r.Options.Select(o => (o.Key, o.Value)).ToList());

        Add($"<h2>Results</h2>\n");
        var t = r.Totals;
        Add($"<p>{t.Requests} requests, {Fmt.Rate(t.Rps)}/s: {t.Ok} ok, {t.Refused} refused, {t.Errors} errors, {t.Timeouts} timeouts (error rate {Fmt.Percent(t.ErrorRate)}); p50 {Fmt.Ms(t.Latency.P50Ms)} ms, p99 {Fmt.Ms(t.Latency.P99Ms)} ms, max {Fmt.Ms(t.Latency.MaxMs)} ms.</p>\n");
        h.Append("<table><tr><th>step</th><th>outcome</th><th>count</th><th>rps</th><th>mean ms</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>\n");
        foreach (var step in r.Steps)
        {
            Row(h, step.Name, "all", step.Count, step.Rps, step.Latency, bold: true);
            foreach (var o in step.Outcomes)
            {
                Row(h, "", $"{o.Name} ({o.Kind.ToString().ToLowerInvariant()})", o.Count, o.Rps, o.Latency, bold: false);
            }
        }

        h.Append("</table>\n");

        Add($"<h2>Charts</h2>\n<h3>Requests per second</h3>\n");
        var requestSteps = r.Steps.Where(s => s.IsRequest && s.Count > 0).Select(s => s.Name).ToHashSet(StringComparer.Ordinal);
        var series = r.TimeSeries.Where(p => requestSteps.Contains(p.Step)).GroupBy(p => p.Step).ToList();
        h.Append(SvgChart.Lines("seconds", "requests/s", series.Select(g => new ChartSeries(g.Key, g.Select(p => (p.Second, p.Rps)).ToList())).ToList()));
        Add($"\n<h3>Latency over time (p99 solid, p50 dashed)</h3>\n");
        h.Append(SvgChart.Lines("seconds", "ms", series.SelectMany(g => new[]
        {
            new ChartSeries(g.Key + " p99", g.Where(p => p.Count > 0).Select(p => (p.Second, p.P99Ms)).ToList()),
            new ChartSeries(g.Key + " p50", g.Where(p => p.Count > 0).Select(p => (p.Second, p.P50Ms)).ToList(), Dashed: true),
        }).ToList()));
        Add($"\n<h3>Latency distribution</h3>\n");
        h.Append(SvgChart.Percentiles("ms", r.Steps.Where(s => s.Distribution.Count > 0)
            .Select(s => new ChartSeries(s.Name, s.Distribution.Select(p => (p.Percentile, p.Ms)).ToList())).ToList()));
        h.Append('\n');

        if (r.WebSockets is { } ws)
        {
            Add($"<h2>WebSockets</h2>\n<p>Peak open sockets {ws.PeakOpenSockets}; frames received {ws.Frames}, of which {ws.FramesWithSentAt} carried <code>sentAt</code> (event lag measured on those).</p>\n");
        }

        if (r.Workers is { Count: > 0 } workers)
        {
            h.Append("<h2>Workers</h2>\n<table><tr><th>worker</th><th>shoppers</th><th>requests</th><th>ok</th><th>refused</th><th>errors</th><th>measured s</th></tr>\n");
            foreach (var w in workers)
            {
                Add($"<tr><td>{E(w.Worker)}</td><td class=\"n\">{w.Shoppers}</td><td class=\"n\">{w.Requests}</td><td class=\"n\">{w.Ok}</td><td class=\"n\">{w.Refused}</td><td class=\"n\">{w.Errors}</td><td class=\"n\">{Fmt.Num(w.MeasuredSeconds)}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        Add($"<h2>Thresholds</h2>\n");
        if (r.Thresholds.Count == 0)
        {
            h.Append("<p>None given.</p>\n");
        }
        else
        {
            h.Append("<table><tr><th>threshold</th><th>result</th><th>measured</th></tr>\n");
            foreach (var th in r.Thresholds)
            {
                Add($"<tr><td><code>{E(th.Threshold)}</code></td><td class=\"{(th.Passed ? "pass" : "fail")}\">{(th.Passed ? "pass" : "FAIL")}</td><td>{E(th.Detail)}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        Add($"<h2>Audit</h2>\n");
        if (r.Audit is not { } audit)
        {
            h.Append("<p>Not run (not a purchase scenario, --no-audit, or the run did not get that far).</p>\n");
        }
        else
        {
            Add($"<p class=\"{(audit.Passed ? "pass" : "fail")}\">{(audit.Passed ? "PASSED" : "FAILED")}</p>\n<table><tr><th>check</th><th>result</th><th>detail</th></tr>\n");
            foreach (var c in audit.Checks)
            {
                var (cls, text) = c.Status switch { CheckStatus.Passed => ("pass", "pass"), CheckStatus.Failed => ("fail", "FAIL"), _ => ("skip", "skipped") };
                Add($"<tr><td>{E(c.Name)}</td><td class=\"{cls}\">{text}</td><td>{E(c.Detail)}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        Add($"<h2>Notes</h2>\n<ul>");
        foreach (var note in r.Notes)
        {
            Add($"<li>{E(note)}</li>");
        }

        h.Append(r.Notes.Count == 0 ? "<li>None.</li>" : "").Append("</ul>\n</body></html>\n");
        return h.ToString();
    }

    private static void KeyValues(StringBuilder h, IReadOnlyList<(string Key, string Value)> rows)
    {
        h.Append("<table>");
        foreach (var (key, value) in rows)
        {
            h.Append("<tr><th>").Append(E(key)).Append("</th><td>").Append(E(value)).Append("</td></tr>");
        }

        h.Append("</table>\n");
    }

    private static void Row(StringBuilder h, string step, string outcome, long count, double rps, Stats.LatencySummary l, bool bold)
    {
        var o = bold ? $"<b>{E(outcome)}</b>" : E(outcome);
        h.Append(CultureInfo.InvariantCulture,
            $"<tr><td>{E(step)}</td><td>{o}</td><td class=\"n\">{count}</td><td class=\"n\">{Fmt.Rate(rps)}</td><td class=\"n\">{Fmt.Ms(l.MeanMs)}</td><td class=\"n\">{Fmt.Ms(l.P50Ms)}</td><td class=\"n\">{Fmt.Ms(l.P90Ms)}</td><td class=\"n\">{Fmt.Ms(l.P99Ms)}</td><td class=\"n\">{Fmt.Ms(l.P999Ms)}</td><td class=\"n\">{Fmt.Ms(l.MaxMs)}</td></tr>\n");
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
