using System.Text.Json.Nodes;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Compare;
using FlashSale.Load.Reports;
using FlashSale.Load.Running;
using FlashSale.Load.Scenarios;
using FlashSale.Load.Stats;

namespace FlashSale.Tests.Load;

/// <summary>
/// <c>compare</c> on reports stored the way a run stores them (report.json on disk): known deltas are measured and
/// judged beyond noise, two runs of one distribution are judged "no change", an audit change fails the exit code.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class CompareTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-compare-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void Mann_whitney_matches_the_textbook_value_and_calls_identical_samples_equal()
    {
        // Two fully separated samples of five: U = 0, z = (12.5 - 0.5) / sqrt(25 * 11 / 12) = 2.5067, p = 0.0122.
        Assert.Equal(0.0122, MannWhitney.PValue([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]), 3);
        Assert.Equal(0.0122, MannWhitney.PValue([6, 7, 8, 9, 10], [1, 2, 3, 4, 5]), 3);
        Assert.Equal(1, MannWhitney.PValue([3, 3, 3, 3, 3], [3, 3, 3, 3, 3]));
        Assert.True(MannWhitney.PValue([1, 2, 3, 4, 5, 6], [1.5, 2.5, 3.5, 4.5, 5.5, 6.5]) > 0.5);
    }

    [Fact]
    public void A_known_slowdown_and_a_known_throughput_drop_are_measured_and_judged_beyond_noise()
    {
        var a = Store("a", Synthetic(seed: 1));
        var b = Store("b", Synthetic(seed: 2, latencyFactor: 1.5, perSecond: 150));

        var c = Compare(a, b);

        var p50 = c.Find("purchase", "p50")!;
        Assert.InRange(p50.ChangePercent!.Value, 47, 53);
        Assert.Equal(Judgement.Worse, p50.Judgement);
        Assert.Equal(Judgement.Worse, c.Find("purchase", "p99")!.Judgement);
        var rps = c.Find("purchase", "rps")!;
        Assert.InRange(rps.ChangePercent!.Value, -27, -23);
        Assert.Equal(Judgement.Worse, rps.Judgement);
        Assert.True(rps.PValue < 0.001);

        // And the other way round: B faster than A is better.
        var back = Compare(b, a);
        Assert.Equal(Judgement.Better, back.Find("purchase", "p50")!.Judgement);
        Assert.Equal(Judgement.Better, back.Find("purchase", "rps")!.Judgement);
    }

    [Fact]
    public void Two_runs_of_the_same_distribution_are_judged_no_change_and_pass_the_rules()
    {
        var a = Store("a", Synthetic(seed: 1));
        var b = Store("b", Synthetic(seed: 7));

        var c = Compare(a, b, "purchase.p99 > +10%", "purchase.p50 > +5%", "purchase.rps < -5%", "audit.changed");

        foreach (var metric in RunComparer.Metrics)
        {
            var m = c.Find("purchase", metric)!;
            Assert.True(m.Judgement == Judgement.NoChange, $"{metric}: {m.A} → {m.B} ({m.ChangePercent}%), p = {m.PValue}");
        }

        Assert.False(c.Failed, string.Join("; ", c.Rules.Select(r => r.Detail)));
        Assert.Empty(c.Warnings);
        Assert.Equal(0, Run(a, b, "--fail-if", "purchase.p99 > +10%", "--fail-if", "audit.changed"));
    }

    [Fact]
    public void A_slowdown_beyond_the_limit_fails_the_exit_code_and_one_within_it_does_not()
    {
        var a = Store("a", Synthetic(seed: 1));
        var b = Store("b", Synthetic(seed: 2, latencyFactor: 1.5));

        Assert.Equal(LoadRunner.ExitFailed, Run(a, b, "--fail-if", "purchase.p99 > +10%"));
        Assert.Equal(LoadRunner.ExitPassed, Run(a, b, "--fail-if", "purchase.p99 > +80%"));
        Assert.Equal(LoadRunner.ExitPassed, Run(b, a, "--fail-if", "purchase.p99 > +10%"));
        Assert.Equal(LoadRunner.ExitFailed, Run(a, b, "--fail-if", "nosuchstep.p99 > +10%"));
    }

    [Fact]
    public void An_audit_change_fails_the_exit_code_and_is_shown_side_by_side()
    {
        var a = Store("a", Synthetic(seed: 1));
        var b = Store("b", Synthetic(seed: 7, oversold: 3));

        var c = Compare(a, b, "audit.changed");

        Assert.True(c.Audit.Changed);
        Assert.Contains(c.Audit.Changes, x => x.Contains("units-within-stock: pass → FAIL", StringComparison.Ordinal));
        Assert.Contains(c.Audit.Changes, x => x.Contains("oversold units: 0 → 3", StringComparison.Ordinal));
        Assert.Equal(LoadRunner.ExitFailed, Run(a, b, "--fail-if", "audit.changed"));
        Assert.Equal(LoadRunner.ExitFailed, Run(a, b, "--fail-if", "audit.failed"));
        Assert.Equal(LoadRunner.ExitPassed, Run(b, a, "--fail-if", "audit.failed"));

        var md = CompareMarkdown.Render(c);
        Assert.Contains("| oversold units ⚠ | 0 | 3 |", md, StringComparison.Ordinal);
        Assert.Contains("**Verdict: FAILED**", md, StringComparison.Ordinal);
        Assert.Contains("| purchase | sold-out |", md, StringComparison.Ordinal);
    }

    [Fact]
    public void Different_machines_and_options_are_warned_about()
    {
        var a = Store("a", Synthetic(seed: 1));
        var b = Store("b", Synthetic(seed: 7, cores: 4, loadAverage: 3.5, users: 200));

        var c = Compare(a, b);

        Assert.Contains(c.Warnings, w => w.Contains("cores: 2 vs 4", StringComparison.Ordinal));
        Assert.Contains(c.Warnings, w => w.Contains("run B started on a busy machine", StringComparison.Ordinal));
        Assert.Contains(c.Warnings, w => w.Contains("users 100 vs 200", StringComparison.Ordinal));
        Assert.Contains(c.Machine, f => f is { Name: "cores", Warn: true });
        Assert.DoesNotContain(c.Machine, f => f is { Name: "git commit", Warn: true });
    }

    [Fact]
    public void A_report_written_before_load_averages_and_audit_counts_still_compares()
    {
        var a = Store("a", Synthetic(seed: 1));
        var node = JsonNode.Parse(File.ReadAllText(a))!;
        node["machine"]!.AsObject().Remove("loadAverage");
        node["audit"]!.AsObject().Remove("figures");
        node.AsObject().Add("somethingNewer", new JsonObject { ["x"] = 1 });
        var old = Path.Combine(_dir, "old.json");
        File.WriteAllText(old, node.ToJsonString());

        var c = Compare(old, Store("b", Synthetic(seed: 7)), "audit.changed");

        Assert.False(c.Audit.Changed);
        Assert.Equal("unknown", c.Machine.Single(f => f.Name == "load average at start").A);
        Assert.Equal(Judgement.NoChange, c.Find("purchase", "p50")!.Judgement);
    }

    [Fact]
    public void The_html_page_overlays_both_distributions_per_step_and_is_well_formed()
    {
        var c = Compare(Store("a", Synthetic(seed: 1)), Store("b", Synthetic(seed: 2, latencyFactor: 1.5)));

        var html = CompareHtml.Render(c);

        Assert.Equal(c.Steps.Count, html.Split("<svg ").Length - 1);
        Assert.Contains("stroke-dasharray", html, StringComparison.Ordinal);
        Assert.Contains("<title>A purchase</title>", html, StringComparison.Ordinal);
        Assert.Contains("<title>B purchase</title>", html, StringComparison.Ordinal);
        var body = html[html.IndexOf("<html", StringComparison.Ordinal)..]
            .Replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>", StringComparison.Ordinal)
            .Replace("initial-scale=1\">", "initial-scale=1\"/>", StringComparison.Ordinal);
        Assert.Equal("html", System.Xml.Linq.XDocument.Parse(body).Root!.Name.LocalName);
    }

    [Fact]
    public void Compare_writes_markdown_and_html_and_reads_report_directories()
    {
        var a = Path.GetDirectoryName(Store("a", Synthetic(seed: 1)))!;
        var b = Path.GetDirectoryName(Store("b", Synthetic(seed: 7)))!;
        var outDir = Path.Combine(_dir, "cmp");

        Assert.Equal(0, Run(a, b, "--out", outDir, "--quiet"));
        Assert.Contains("## Steps", File.ReadAllText(Path.Combine(outDir, "compare.md")), StringComparison.Ordinal);
        Assert.StartsWith("<!DOCTYPE html>", File.ReadAllText(Path.Combine(outDir, "compare.html")), StringComparison.Ordinal);
        Assert.Equal(LoadRunner.ExitSetup, Run(a, Path.Combine(_dir, "missing.json")));
        Assert.Throws<UsageException>(() => CompareCommand.Bind(ArgumentTokens.Parse(["compare", a, b, "--fail-if", "p99 up"], OptionTable.Compare)));
    }

    private static RunComparison Compare(string a, string b, params string[] rules) =>
        RunComparer.Compare(a, StoredReports.Load(a), b, StoredReports.Load(b), rules.Select(CompareRule.Parse).ToList());

    private static int Run(string a, string b, params string[] options)
    {
        string[] args = ["compare", a, b, .. options];
        return CompareCommand.Run(CompareCommand.Bind(ArgumentTokens.Parse(args, OptionTable.Compare)), TextWriter.Null, TextWriter.Null);
    }

    private string Store(string name, RunReport report)
    {
        var dir = Path.Combine(_dir, name);
        ReportWriter.Write(dir, report);
        return Path.Combine(dir, "report.json");
    }

    /// <summary>
    /// A purchase-storm report of 20 measured seconds: latencies log-normal around 5 ms (times the factor), about
    /// <paramref name="perSecond"/> purchases a second, one in ten sold out.
    /// </summary>
    private static RunReport Synthetic(int seed, double latencyFactor = 1, int perSecond = 200, long oversold = 0, int cores = 2, double loadAverage = 0.2, int users = 100)
    {
        var random = new Random(seed);
        var stats = new StatsCollector();
        var purchase = stats.Step("purchase");
        var pay = stats.Step("pay");
        for (var second = 1; second <= 20; second++)
        {
            var n = perSecond + random.Next(-10, 11);
            for (var i = 0; i < n; i++)
            {
                var gaussian = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
                var micros = (long)(5000 * latencyFactor * Math.Exp(0.4 * gaussian));
                purchase.RecordMicros(i % 10 == 0 ? Outcome.Refused("sold-out") : Outcome.Ok, micros);
                pay.RecordMicros(Outcome.Ok, micros / 2);
            }

            stats.Tick(second, 1, measured: true);
        }

        var options = new LoadOptions { Scenario = "purchase-storm", Users = users, Seed = seed, Duration = TimeSpan.FromSeconds(20) };
        var checks = new List<AuditCheck>
        {
            oversold > 0 ? AuditCheck.Fail("units-within-stock", $"OVERSOLD by {oversold}") : AuditCheck.Pass("units-within-stock", "within"),
            AuditCheck.Pass("unique-order-ids", "distinct"),
        };
        var audit = AuditReport.From(checks, new AuditFigures(1000 + oversold, 1000 + (int)oversold, oversold, 0, 0, 0));
        var started = new DateTimeOffset(2026, 11, 29, 1, 0, 0, TimeSpan.Zero);
        return ReportBuilder.Build(
            options, new PurchaseStormScenario(), stats.Finish(), stats.Series, null, [], audit, [],
            new Verdict(oversold == 0, oversold == 0 ? 0 : 1, []),
            new MachineInfo("Debian 12", "X64", cores, ".NET 10.0.1", "commit-" + seed, "vm", [loadAverage, loadAverage, loadAverage]),
            started, started.AddSeconds(20), Guid.Empty);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
