using System.Globalization;

namespace FlashSale.Load.Reports;

/// <summary>Writes report.md, report.json and report.html into the run's report directory.</summary>
internal static class ReportWriter
{
    public static string DefaultDirectory(string scenario, DateTimeOffset startedAt) =>
        Path.Combine("load-reports", startedAt.UtcDateTime.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture) + "-" + scenario);

    public static IReadOnlyList<string> Write(string directory, RunReport report)
    {
        Directory.CreateDirectory(directory);
        var files = new (string Name, string Content)[]
        {
            ("report.md", MarkdownReport.Render(report)),
            ("report.json", JsonReport.Render(report)),
            ("report.html", HtmlReport.Render(report)),
        };
        var paths = new List<string>();
        foreach (var (name, content) in files)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, content);
            paths.Add(path);
        }

        return paths;
    }
}
