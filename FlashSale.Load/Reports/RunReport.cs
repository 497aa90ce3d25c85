using FlashSale.Load.Audit;
using FlashSale.Load.Stats;
using FlashSale.Load.Thresholds;

namespace FlashSale.Load.Reports;

/// <summary>Everything a run produced; the JSON report is this record, the Markdown and HTML pages render it.</summary>
internal sealed record RunReport(
    string Tool,
    RunInfo Run,
    MachineInfo Machine,
    IReadOnlyDictionary<string, string> Options,
    TotalsReport Totals,
    IReadOnlyList<StepReport> Steps,
    IReadOnlyList<TimeSeriesPoint> TimeSeries,
    WebSocketReport? WebSockets,
    IReadOnlyList<ThresholdResult> Thresholds,
    AuditReport? Audit,
    IReadOnlyList<string> Notes,
    Verdict Verdict,
    IReadOnlyList<WorkerSummary>? Workers = null);

internal sealed record RunInfo(
    string Scenario,
    string Description,
    string Target,
    string Model,
    int Users,
    double? Rate,
    double RampSeconds,
    double WarmupSeconds,
    double DurationSeconds,
    double MeasuredSeconds,
    int Seed,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    string CommandLine,
    Guid? SaleId);

/// <summary>
/// Where the run happened. <see cref="LoadAverage"/> is the 1/5/15-minute load average when the run started (null
/// where the OS does not expose it, and in reports written before it was recorded): `compare` warns when two
/// runs started on machines that were not equally quiet.
/// </summary>
internal sealed record MachineInfo(string Os, string Architecture, int Cores, string DotNet, string GitCommit, string HostName, IReadOnlyList<double>? LoadAverage = null);

internal sealed record TotalsReport(long Requests, long Ok, long Refused, long Errors, long Timeouts, double Rps, double ErrorRate, LatencySummary Latency);

internal sealed record StepReport(
    string Name,
    bool IsRequest,
    long Count,
    double Rps,
    double ErrorRate,
    LatencySummary Latency,
    IReadOnlyList<OutcomeReport> Outcomes,
    IReadOnlyList<PercentilePoint> Distribution);

internal sealed record OutcomeReport(string Name, OutcomeKind Kind, long Count, double Rps, LatencySummary Latency);

/// <summary>One worker's share of a multi-process run (its requests are in the merged figures above).</summary>
internal sealed record WorkerSummary(string Worker, int Shoppers, long Requests, long Ok, long Refused, long Errors, double MeasuredSeconds);

internal sealed record WebSocketReport(int PeakOpenSockets, long Frames, long FramesWithSentAt);

/// <summary>Passed when every threshold held and the audit (if any) passed; the exit code the tool returns.</summary>
internal sealed record Verdict(bool Passed, int ExitCode, IReadOnlyList<string> Reasons);
