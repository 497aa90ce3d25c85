using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Load.Audit;
using FlashSale.Load.Reports;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Compare;

/// <summary>
/// A report.json as <c>compare</c> reads it: only the parts a comparison needs, each optional, so reports written
/// by older or newer versions of the tool (with fields missing or added) still load.
/// </summary>
internal sealed record StoredReport(
    RunInfo? Run,
    MachineInfo? Machine,
    IReadOnlyDictionary<string, string>? Options,
    IReadOnlyList<StoredStep>? Steps,
    IReadOnlyList<TimeSeriesPoint>? TimeSeries,
    AuditReport? Audit)
{
    public IReadOnlyList<StoredStep> StepList => Steps ?? [];

    public StoredStep? Step(string name) => StepList.FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The measured seconds of one step (warm-up excluded; seconds with no answer say nothing about latency).</summary>
    public IReadOnlyList<TimeSeriesPoint> Seconds(string step) =>
        (TimeSeries ?? []).Where(p => !p.Warmup && string.Equals(p.Step, step, StringComparison.OrdinalIgnoreCase)).ToList();
}

internal sealed record StoredStep(
    string Name,
    bool IsRequest,
    long Count,
    double Rps,
    LatencySummary? Latency,
    IReadOnlyList<OutcomeReport>? Outcomes,
    IReadOnlyList<PercentilePoint>? Distribution);

/// <summary>Reads report.json files (or the report directory that holds one).</summary>
internal static class StoredReports
{
    public static StoredReport Load(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "report.json") : path;
        if (!File.Exists(file))
        {
            throw new ReportLoadException($"no report at '{path}' (give a report.json or the directory that holds it)");
        }

        try
        {
            var report = JsonSerializer.Deserialize(File.ReadAllText(file), StoredReportJsonContext.Default.StoredReport);
            return report is { Steps: not null }
                ? report
                : throw new ReportLoadException($"'{file}' is not a FlashSale.Load report (no steps)");
        }
        catch (JsonException ex)
        {
            throw new ReportLoadException($"'{file}' is not a FlashSale.Load report: {ex.Message}");
        }
    }
}

/// <summary>A report that cannot be read; shown as is, exit code 3.</summary>
internal sealed class ReportLoadException(string message) : Exception(message);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals | JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(StoredReport))]
internal sealed partial class StoredReportJsonContext : JsonSerializerContext;
