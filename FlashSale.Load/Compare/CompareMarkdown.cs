using System.Globalization;
using System.Text;
using FlashSale.Load.Reports;

namespace FlashSale.Load.Compare;

/// <summary>The comparison to paste into a review: verdict, warnings, machines, every step's figures, the audits.</summary>
internal static class CompareMarkdown
{
    public static string Render(RunComparison c)
    {
        var md = new StringBuilder();
        void Line(FormattableString s) => md.AppendLine(s.ToString(CultureInfo.InvariantCulture));

        Line($"# FlashSale.Load compare: {c.A.Run?.Scenario ?? "?"} (A) vs {c.B.Run?.Scenario ?? "?"} (B)");
        md.AppendLine();
        Line($"- **A**: `{c.NameA}`{Describe(c.A)}");
        Line($"- **B**: `{c.NameB}`{Describe(c.B)}");
        md.AppendLine();
        if (c.Rules.Count > 0)
        {
            Line($"**Verdict: {(c.Failed ? "FAILED" : "PASSED")}** (exit code {(c.Failed ? 1 : 0)})");
            md.AppendLine();
            md.AppendLine("| rule | result | detail |").AppendLine("|---|---|---|");
            foreach (var r in c.Rules)
            {
                Line($"| `{r.Rule}` | {(r.Fired ? "**FAIL**" : "pass")} | {Cell(r.Detail)} |");
            }

            md.AppendLine();
        }

        if (c.Warnings.Count > 0)
        {
            md.AppendLine("## Warnings").AppendLine();
            foreach (var w in c.Warnings)
            {
                md.Append("- ⚠ ").AppendLine(w);
            }

            md.AppendLine();
        }

        md.AppendLine("## Machines").AppendLine();
        md.AppendLine("| | A | B |").AppendLine("|---|---|---|");
        foreach (var f in c.Machine)
        {
            Line($"| {f.Name}{(f.Warn ? " ⚠" : "")} | {Cell(f.A)} | {Cell(f.B)} |");
        }

        md.AppendLine();
        md.AppendLine("## Steps").AppendLine();
        Line($"Latencies in ms, throughput (rps) per second. Whole-run figures; \"judged\" is a Mann–Whitney U test on the per-second figures (beyond noise when p < {Fmt.Num(c.Alpha)}, with at least {RunComparer.MinSamples} measured seconds a side).");
        md.AppendLine();
        md.AppendLine("| step | figure | A | B | change | p | judged |").AppendLine("|---|---|--:|--:|--:|--:|---|");
        foreach (var s in c.Steps)
        {
            Line($"| **{s.Name}** | count | {Count(s.CountA)} | {Count(s.CountB)} | | | |");
            foreach (var m in s.Metrics)
            {
                Line($"| | {m.Metric} | {Value(m.A)} | {Value(m.B)} | {Change(m.ChangePercent)} | {(m.PValue is { } p ? Fmt.Num(p) : "")} | {Judged(m)} |");
            }
        }

        md.AppendLine();
        md.AppendLine("## Audit").AppendLine();
        Line($"A: {Passed(c.Audit.PassedA)}, B: {Passed(c.Audit.PassedB)}. {(c.Audit.Changed ? "**Changed**: " + string.Join("; ", c.Audit.Changes) : "No change in any check or correctness count.")}");
        md.AppendLine();
        if (c.Audit.Checks.Count > 0)
        {
            md.AppendLine("| check | A | B | B's detail |").AppendLine("|---|---|---|---|");
            foreach (var ch in c.Audit.Checks)
            {
                Line($"| {ch.Name}{(ch.Changed ? " ⚠" : "")} | {RunComparer.Status(ch.A)} | {RunComparer.Status(ch.B)} | {Cell(ch.DetailB ?? "")} |");
            }

            md.AppendLine();
            md.AppendLine("| count | A | B |").AppendLine("|---|--:|--:|");
            foreach (var f in c.Audit.Figures)
            {
                Line($"| {f.Name}{(f.Correctness && f.Changed ? " ⚠" : "")} | {Count(f.A)} | {Count(f.B)} |");
            }

            md.AppendLine();
        }

        if (c.Refusals.Count > 0)
        {
            md.AppendLine("### Refusals and failures by type").AppendLine();
            md.AppendLine("| step | outcome | A | B |").AppendLine("|---|---|--:|--:|");
            foreach (var r in c.Refusals)
            {
                Line($"| {r.Step} | {r.Outcome} | {r.A} | {r.B} |");
            }

            md.AppendLine();
        }

        return md.ToString();
    }

    public static string Judged(MetricComparison m) => m.Judgement switch
    {
        Judgement.Better => "**better**",
        Judgement.Worse => "**worse**",
        Judgement.NoChange => "no change (noise)",
        Judgement.TooFewSamples => $"not judged ({m.SamplesA}/{m.SamplesB} s)",
        _ => "not measured in both",
    };

    public static string Value(double? v) => v is { } x ? Fmt.Num(Math.Round(x, 2)) : "—";

    public static string Count(long? v) => v is { } x ? Fmt.Int(x) : "—";

    public static string Change(double? percent) => percent is { } p ? ChangeRule.Signed(p) + "%" : "";

    public static string Passed(bool? passed) => passed switch { true => "passed", false => "FAILED", null => "not audited" };

    /// <summary>What, when and how much a run loaded, in one line ("" for a report without run facts).</summary>
    public static string Describe(StoredReport r) =>
        r.Run is { } run ? $" — {run.Scenario}, {Fmt.Time(run.StartedAt)}, {MarkdownReport.LoadShape(run)}, measured {Fmt.Num(run.MeasuredSeconds)} s" : "";

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace('\n', ' ');
}
