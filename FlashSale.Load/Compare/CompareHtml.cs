using System.Globalization;
using System.Net;
using System.Text;
using FlashSale.Load.Reports;

namespace FlashSale.Load.Compare;

/// <summary>
/// The comparison as one self-contained page: the Markdown's tables, and per step the two latency distributions
/// overlaid in one SVG chart (A solid, B dashed), where a shift in the tail shows at a glance.
/// </summary>
internal static class CompareHtml
{
    private const string Style = HtmlReport.Style + """
        .better{color:#15803d;font-weight:600}.worse{color:#b91c1c;font-weight:700}.warn{background:#fef9c3}
        """;

    public static string Render(RunComparison c)
    {
        var h = new StringBuilder();
        void Add(FormattableString s) => h.Append(s.ToString(CultureInfo.InvariantCulture));
        Add($"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        Add($"<title>FlashSale.Load compare</title><style>{Style}</style></head><body>\n");
        Add($"<h1>FlashSale.Load compare: {E(c.A.Run?.Scenario ?? "?")} (A) vs {E(c.B.Run?.Scenario ?? "?")} (B)</h1>\n");
        Add($"<ul><li><b>A</b>: <code>{E(c.NameA)}</code> {E(CompareMarkdown.Describe(c.A))}</li><li><b>B</b>: <code>{E(c.NameB)}</code> {E(CompareMarkdown.Describe(c.B))}</li></ul>\n");
        if (c.Rules.Count > 0)
        {
            Add($"<p class=\"verdict {(c.Failed ? "fail" : "pass")}\">Verdict: {(c.Failed ? "FAILED" : "PASSED")} (exit code {(c.Failed ? 1 : 0)})</p>\n");
            h.Append("<table><tr><th>rule</th><th>result</th><th>detail</th></tr>\n");
            foreach (var r in c.Rules)
            {
                Add($"<tr><td><code>{E(r.Rule)}</code></td><td class=\"{(r.Fired ? "fail" : "better")}\">{(r.Fired ? "FAIL" : "pass")}</td><td>{E(r.Detail)}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        if (c.Warnings.Count > 0)
        {
            h.Append("<h2>Warnings</h2>\n<ul>");
            foreach (var w in c.Warnings)
            {
                Add($"<li class=\"warn\">{E(w)}</li>");
            }

            h.Append("</ul>\n");
        }

        h.Append("<h2>Machines</h2>\n<table><tr><th></th><th>A</th><th>B</th></tr>\n");
        foreach (var f in c.Machine)
        {
            Add($"<tr{(f.Warn ? " class=\"warn\"" : "")}><th>{E(f.Name)}</th><td>{E(f.A)}</td><td>{E(f.B)}</td></tr>\n");
        }

        h.Append("</table>\n<h2>Steps</h2>\n");
        Add($"<p>Latencies in ms, throughput (rps) per second. Whole-run figures; \"judged\" is a Mann–Whitney U test on the per-second figures (beyond noise when p &lt; {Fmt.Num(c.Alpha)}, with at least {RunComparer.MinSamples} measured seconds a side).</p>\n");
        h.Append("<table><tr><th>step</th><th>figure</th><th>A</th><th>B</th><th>change</th><th>p</th><th>judged</th></tr>\n");
        foreach (var s in c.Steps)
        {
            Add($"<tr><td><b>{E(s.Name)}</b></td><td>count</td><td class=\"n\">{CompareMarkdown.Count(s.CountA)}</td><td class=\"n\">{CompareMarkdown.Count(s.CountB)}</td><td></td><td></td><td></td></tr>\n");
            foreach (var m in s.Metrics)
            {
                var cls = m.Judgement switch { Judgement.Better => " class=\"better\"", Judgement.Worse => " class=\"worse\"", _ => "" };
                Add($"<tr><td></td><td>{m.Metric}</td><td class=\"n\">{CompareMarkdown.Value(m.A)}</td><td class=\"n\">{CompareMarkdown.Value(m.B)}</td><td class=\"n\">{CompareMarkdown.Change(m.ChangePercent)}</td><td class=\"n\">{(m.PValue is { } p ? Fmt.Num(p) : "")}</td><td{cls}>{E(CompareMarkdown.Judged(m).Replace("**", "", StringComparison.Ordinal))}</td></tr>\n");
            }
        }

        h.Append("</table>\n<h2>Latency distributions (A solid, B dashed)</h2>\n");
        foreach (var s in c.Steps.Where(s => s.DistributionA.Count > 0 || s.DistributionB.Count > 0))
        {
            Add($"<h3>{E(s.Name)}</h3>\n");
            h.Append(SvgChart.Percentiles("ms", [
                new ChartSeries("A " + s.Name, s.DistributionA.Select(p => (p.Percentile, p.Ms)).ToList()),
                new ChartSeries("B " + s.Name, s.DistributionB.Select(p => (p.Percentile, p.Ms)).ToList(), Dashed: true),
            ]));
            h.Append('\n');
        }

        h.Append("<h2>Audit</h2>\n");
        Add($"<p>A: {CompareMarkdown.Passed(c.Audit.PassedA)}, B: {CompareMarkdown.Passed(c.Audit.PassedB)}. {(c.Audit.Changed ? "<b class=\"fail\">Changed</b>: " + E(string.Join("; ", c.Audit.Changes)) : "No change in any check or correctness count.")}</p>\n");
        if (c.Audit.Checks.Count > 0)
        {
            h.Append("<table><tr><th>check</th><th>A</th><th>B</th><th>B's detail</th></tr>\n");
            foreach (var ch in c.Audit.Checks)
            {
                Add($"<tr{(ch.Changed ? " class=\"warn\"" : "")}><td>{E(ch.Name)}</td><td>{RunComparer.Status(ch.A)}</td><td>{RunComparer.Status(ch.B)}</td><td>{E(ch.DetailB ?? "")}</td></tr>\n");
            }

            h.Append("</table>\n<table><tr><th>count</th><th>A</th><th>B</th></tr>\n");
            foreach (var f in c.Audit.Figures)
            {
                Add($"<tr{(f.Correctness && f.Changed ? " class=\"warn\"" : "")}><td>{E(f.Name)}</td><td class=\"n\">{CompareMarkdown.Count(f.A)}</td><td class=\"n\">{CompareMarkdown.Count(f.B)}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        if (c.Refusals.Count > 0)
        {
            h.Append("<h3>Refusals and failures by type</h3>\n<table><tr><th>step</th><th>outcome</th><th>A</th><th>B</th></tr>\n");
            foreach (var r in c.Refusals)
            {
                Add($"<tr><td>{E(r.Step)}</td><td>{E(r.Outcome)}</td><td class=\"n\">{r.A}</td><td class=\"n\">{r.B}</td></tr>\n");
            }

            h.Append("</table>\n");
        }

        h.Append("</body></html>\n");
        return h.ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);
}
