using FlashSale.Load.Cli;
using FlashSale.Load.Running;

namespace FlashSale.Load.Compare;

/// <summary>Options of <c>compare</c>.</summary>
internal sealed record CompareOptions(string A, string B, IReadOnlyList<CompareRule> Rules, double Alpha, string? OutDir, bool Quiet);

/// <summary>
/// <c>compare A B</c>: two runs side by side as Markdown on standard output (and compare.md + compare.html with
/// <c>--out</c>); exit code 1 when a <c>--fail-if</c> rule fires, 3 when a report cannot be read.
/// </summary>
internal static class CompareCommand
{
    public static CompareOptions Bind(ArgumentTokens t)
    {
        if (t.Positionals.Count != 2)
        {
            throw new UsageException("compare needs two reports: compare A/report.json B/report.json [--fail-if RULE] [--out DIR]");
        }

        var alpha = RunComparer.DefaultAlpha;
        if (t.Value("alpha") is { } text
            && (!double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out alpha) || alpha is <= 0 or >= 1))
        {
            throw new UsageException($"--alpha: '{text}' must be a number between 0 and 1, e.g. 0.05");
        }

        return new CompareOptions(t.Positionals[0], t.Positionals[1], t.Values("fail-if").Select(CompareRule.Parse).ToList(), alpha, t.Value("out"), t.Flag("quiet"));
    }

    public static int Run(CompareOptions o, TextWriter output, TextWriter errors)
    {
        RunComparison comparison;
        try
        {
            comparison = RunComparer.Compare(o.A, StoredReports.Load(o.A), o.B, StoredReports.Load(o.B), o.Rules, o.Alpha);
        }
        catch (ReportLoadException ex)
        {
            errors.WriteLine("compare: " + ex.Message);
            return LoadRunner.ExitSetup;
        }

        var markdown = CompareMarkdown.Render(comparison);
        if (!o.Quiet)
        {
            output.Write(markdown);
        }

        if (o.OutDir is { } dir)
        {
            Directory.CreateDirectory(dir);
            File.WriteAllText(Path.Combine(dir, "compare.md"), markdown);
            File.WriteAllText(Path.Combine(dir, "compare.html"), CompareHtml.Render(comparison));
            errors.WriteLine($"compare: wrote {Path.Combine(dir, "compare.md")} and compare.html");
        }

        foreach (var rule in comparison.Rules.Where(r => r.Fired))
        {
            errors.WriteLine($"compare: --fail-if {rule.Rule}: {rule.Detail}");
        }

        return comparison.Failed ? LoadRunner.ExitFailed : LoadRunner.ExitPassed;
    }
}
