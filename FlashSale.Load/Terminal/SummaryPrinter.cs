using System.Globalization;
using FlashSale.Load.Audit;
using FlashSale.Load.Reports;
using FlashSale.Load.Running;
using Spectre.Console;

namespace FlashSale.Load.Terminal;

/// <summary>The closing summary: a Spectre table on a terminal, aligned plain text when output is redirected.</summary>
internal static class SummaryPrinter
{
    public static void Print(RunOutcome outcome, bool ansi)
    {
        if (ansi)
        {
            PrintAnsi(outcome.Report);
        }
        else
        {
            Console.Out.Write(Plain(outcome.Report));
        }

        if (outcome.ReportDirectory is { } dir)
        {
            Console.Out.WriteLine($"reports: {Path.Combine(dir, "report.md")}, report.json, report.html");
        }
    }

    public static string Plain(RunReport r)
    {
        var w = new StringWriter(CultureInfo.InvariantCulture);
        w.WriteLine();
        w.WriteLine($"{"step",-16} {"outcome",-22} {"count",9} {"rps",9} {"p50 ms",9} {"p90 ms",9} {"p99 ms",9} {"p99.9 ms",9} {"max ms",9}");
        foreach (var s in r.Steps)
        {
            w.WriteLine(PlainRow(s.Name, "all", s.Count, s.Rps, s.Latency));
            foreach (var o in s.Outcomes)
            {
                w.WriteLine(PlainRow("", $"{o.Name} ({o.Kind.ToString().ToLowerInvariant()})", o.Count, o.Rps, o.Latency));
            }
        }

        w.WriteLine();
        foreach (var t in r.Thresholds)
        {
            w.WriteLine($"threshold {t.Threshold}: {(t.Passed ? "pass" : "FAIL")} ({t.Detail})");
        }

        if (r.Audit is { } audit)
        {
            w.WriteLine($"audit: {(audit.Passed ? "PASSED" : "FAILED")}");
            foreach (var c in audit.Checks)
            {
                w.WriteLine($"  {c.Status.ToString().ToLowerInvariant(),-8} {c.Name}: {c.Detail}");
            }
        }

        foreach (var note in r.Notes)
        {
            w.WriteLine($"note: {note}");
        }

        w.WriteLine($"verdict: {(r.Verdict.Passed ? "PASSED" : "FAILED")} (exit {r.Verdict.ExitCode}){(r.Verdict.Reasons.Count > 0 ? ": " + string.Join("; ", r.Verdict.Reasons) : "")}");
        return w.ToString();
    }

    private static string PlainRow(string step, string outcome, long count, double rps, Stats.LatencySummary l) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{step,-16} {outcome,-22} {count,9} {Fmt.Rate(rps),9} {Fmt.Ms(l.P50Ms),9} {Fmt.Ms(l.P90Ms),9} {Fmt.Ms(l.P99Ms),9} {Fmt.Ms(l.P999Ms),9} {Fmt.Ms(l.MaxMs),9}");

    private static void PrintAnsi(RunReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"[bold]{Markup.Escape(r.Run.Scenario)}[/] against {Markup.Escape(r.Run.Target)}");
        foreach (var c in new[] { "step", "outcome", "count", "rps", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms" })
        {
            table.AddColumn(c is "step" or "outcome" ? new TableColumn(c) : new TableColumn(c).RightAligned());
        }

        foreach (var s in r.Steps)
        {
            AddRow(table, $"[bold]{Markup.Escape(s.Name)}[/]", "[bold]all[/]", s.Count, s.Rps, s.Latency);
            foreach (var o in s.Outcomes)
            {
                var color = o.Kind switch { Stats.OutcomeKind.Ok => "green", Stats.OutcomeKind.Refused => "yellow", _ => "red" };
                AddRow(table, "", $"[{color}]{Markup.Escape(o.Name)}[/]", o.Count, o.Rps, o.Latency);
            }
        }

        AnsiConsole.Write(table);
        foreach (var t in r.Thresholds)
        {
            AnsiConsole.MarkupLine($"threshold [bold]{Markup.Escape(t.Threshold)}[/]: {(t.Passed ? "[green]pass[/]" : "[red]FAIL[/]")} ({Markup.Escape(t.Detail)})");
        }

        if (r.Audit is { } audit)
        {
            AnsiConsole.MarkupLine($"audit: {(audit.Passed ? "[green]PASSED[/]" : "[red]FAILED[/]")}");
            foreach (var c in audit.Checks)
            {
                var mark = c.Status switch { CheckStatus.Passed => "[green]pass[/]", CheckStatus.Failed => "[red]FAIL[/]", _ => "[grey]skip[/]" };
                AnsiConsole.MarkupLine($"  {mark} {Markup.Escape(c.Name)}: {Markup.Escape(c.Detail)}");
            }
        }

        foreach (var note in r.Notes)
        {
            AnsiConsole.MarkupLine($"[grey]note: {Markup.Escape(note)}[/]");
        }

        var reasons = r.Verdict.Reasons.Count > 0 ? ": " + Markup.Escape(string.Join("; ", r.Verdict.Reasons)) : "";
        AnsiConsole.MarkupLine(r.Verdict.Passed ? $"[green bold]PASSED[/]{reasons}" : $"[red bold]FAILED[/] (exit {r.Verdict.ExitCode}){reasons}");
    }

    private static void AddRow(Table table, string step, string outcome, long count, double rps, Stats.LatencySummary l) =>
        table.AddRow(step, outcome, Fmt.Int(count), Fmt.Rate(rps), Fmt.Ms(l.P50Ms), Fmt.Ms(l.P90Ms), Fmt.Ms(l.P99Ms), Fmt.Ms(l.P999Ms), Fmt.Ms(l.MaxMs));
}
