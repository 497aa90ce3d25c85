using System.Text.Json;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Reports;
using FlashSale.Load.Scenarios;
using FlashSale.Load.Stats;
using FlashSale.Load.Thresholds;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class ReportTests
{
    private static readonly RunReport Report = Build();

    [Fact]
    public void The_json_report_is_valid_json_with_every_section()
    {
        using var doc = JsonDocument.Parse(JsonReport.Render(Report));
        var root = doc.RootElement;

        foreach (var section in new[] { "run", "machine", "options", "totals", "steps", "timeSeries", "thresholds", "audit", "notes", "verdict" })
        {
            Assert.True(root.TryGetProperty(section, out _), $"missing {section}");
        }

        Assert.Equal(42, root.GetProperty("run").GetProperty("seed").GetInt32());
        Assert.Equal("abc123", root.GetProperty("machine").GetProperty("gitCommit").GetString());
        Assert.Equal("refused", root.GetProperty("steps")[0].GetProperty("outcomes").EnumerateArray().Single(o => o.GetProperty("name").GetString() == "sold-out").GetProperty("kind").GetString(), ignoreCase: true);
        Assert.False(root.GetProperty("verdict").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void The_markdown_report_has_the_sections_a_review_needs()
    {
        var md = MarkdownReport.Render(Report);

        foreach (var heading in new[] { "# FlashSale load report: purchase-storm", "## Run", "## Machine", "## Options", "## Results", "## Time series", "## Thresholds", "## Audit", "## Notes" })
        {
            Assert.Contains(heading, md, StringComparison.Ordinal);
        }

        Assert.Contains("**Verdict: FAILED**", md, StringComparison.Ordinal);
        Assert.Contains("| purchase | **all** |", md, StringComparison.Ordinal);
        Assert.Contains("sold-out (refused)", md, StringComparison.Ordinal);
        Assert.Contains("**FAIL**", md, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", md, StringComparison.Ordinal);
    }

    [Fact]
    public void The_html_report_is_one_well_formed_page_with_three_inline_charts_and_no_external_resources()
    {
        var html = HtmlReport.Render(Report);

        Assert.StartsWith("<!DOCTYPE html>", html, StringComparison.Ordinal);
        Assert.Equal(3, html.Split("<svg ").Length - 1);
        Assert.DoesNotContain("<script src", html, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("https://", html.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        foreach (var heading in new[] { "Run", "Machine", "Options", "Results", "Charts", "Thresholds", "Audit", "Notes" })
        {
            Assert.Contains($"<h2>{heading}</h2>", html, StringComparison.Ordinal);
        }

        // Well-formed markup (the page is XHTML-compatible apart from the doctype).
        var body = html[html.IndexOf("<html", StringComparison.Ordinal)..].Replace("&nbsp;", " ", StringComparison.Ordinal);
        var xml = System.Xml.Linq.XDocument.Parse(body.Replace("<meta charset=\"utf-8\">", "<meta charset=\"utf-8\"/>", StringComparison.Ordinal)
            .Replace("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">", "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>", StringComparison.Ordinal));
        Assert.Equal("html", xml.Root!.Name.LocalName);
        Assert.Contains("&lt;script&gt;", html, StringComparison.Ordinal); // text from the run is escaped
    }

    [Fact]
    public void Reports_are_written_as_three_files()
    {
        var dir = Path.Combine(Path.GetTempPath(), "flashsale-report-" + Guid.NewGuid().ToString("N"));
        try
        {
            var files = ReportWriter.Write(dir, Report);

            Assert.Equal(["report.md", "report.json", "report.html"], files.Select(f => Path.GetFileName(f)!).ToArray());
            Assert.All(files, f => Assert.True(new FileInfo(f).Length > 500));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static RunReport Build()
    {
        var stats = new StatsCollector();
        var purchase = stats.Step("purchase");
        var lag = stats.Step("event-lag", isRequest: false);
        for (var second = 1; second <= 3; second++)
        {
            for (var i = 0; i < 100; i++)
            {
                purchase.RecordMicros(i % 5 == 0 ? Outcome.Refused("sold-out") : Outcome.Ok, 1000 + (i * 100 * second));
                lag.RecordMicros(new Outcome("stock", OutcomeKind.Ok), 20_000 + i);
            }

            stats.Tick(second, 1, measured: second > 1);
        }

        var statistics = stats.Finish();
        var options = new LoadOptions
        {
            Scenario = "purchase-storm",
            Users = 100,
            Seed = 42,
            Warmup = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(2),
            Thresholds = ["purchase.p99<1ms"],
            CommandLine = ["run", "purchase-storm", "--admin-password", "s3cret", "--threshold", "purchase.p99<1ms"],
        };
        var thresholds = ThresholdEvaluator.Evaluate(options.Thresholds.Select(ThresholdParser.Parse), statistics);
        var audit = AuditReport.From([AuditCheck.Pass("units-within-stock", "60 of 60"), AuditCheck.Skip("admin-audit", "404")]);
        return ReportBuilder.Build(
            options, new PurchaseStormScenario(), statistics, stats.Series, new WebSocketReport(10, 300, 300), thresholds, audit,
            ["a note with <script>"], new Verdict(false, 1, ["threshold purchase.p99<1ms failed"]),
            new MachineInfo("Debian", "X64", 2, ".NET 10", "abc123", "vm"), DateTimeOffset.UtcNow.AddSeconds(-3), DateTimeOffset.UtcNow, Guid.NewGuid());
    }
}
