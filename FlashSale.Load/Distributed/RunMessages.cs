using System.Text.Json.Serialization;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Reports;
using FlashSale.Load.Shoppers;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Distributed;

/// <summary>
/// What the coordinator hands one worker: its share of the load (options) and of the shoppers, with each shopper's
/// index in the run's own list (so purchases the worker reports map back for the audit).
/// </summary>
internal sealed record WorkerPlan(string Worker, int Index, LoadOptions Options, IReadOnlyList<int> ShopperIndexes, IReadOnlyList<ShopperToken> Shoppers);

/// <summary>One outcome's histogram of one step, encoded (<see cref="HistogramCodec"/>).</summary>
internal sealed record EncodedOutcome(string Name, OutcomeKind Kind, string Histogram);

internal sealed record EncodedStep(string Name, bool IsRequest, IReadOnlyList<EncodedOutcome> Outcomes);

/// <summary>One step during one interval of a worker's run, encoded.</summary>
internal sealed record EncodedInterval(double Second, double IntervalSeconds, string Step, bool IsRequest, long Ok, long Refused, long Errors, bool Warmup, string Histogram);

/// <summary>
/// What a worker sends back at the end: its histograms (whole run and per second), the purchases it was confirmed
/// (for the coordinator's audit), its notes and socket figures, or why it failed.
/// </summary>
internal sealed record WorkerResult(
    string Worker,
    int Index,
    double MeasuredSeconds,
    IReadOnlyList<EncodedStep> Steps,
    IReadOnlyList<EncodedInterval> Intervals,
    IReadOnlyList<PurchaseRecord> Purchases,
    IReadOnlyList<string> Notes,
    WebSocketReport? WebSockets,
    bool Interrupted,
    string? Failure,
    long? LineInversions = null);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, UseStringEnumConverter = true,
    NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(WorkerPlan))]
[JsonSerializable(typeof(WorkerResult))]
internal sealed partial class DistributedJsonContext : JsonSerializerContext;
