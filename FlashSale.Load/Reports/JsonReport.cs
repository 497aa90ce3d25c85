using System.Text.Json;

namespace FlashSale.Load.Reports;

/// <summary>The machine-readable report: the <see cref="RunReport"/> as indented camelCase JSON.</summary>
internal static class JsonReport
{
    public static string Render(RunReport report) => JsonSerializer.Serialize(report, ReportJsonContext.Default.RunReport);
}
