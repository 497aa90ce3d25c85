using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using FlashSale.Load.Cli;
using FlashSale.Load.Stats;
using FlashSale.Load.Terminal;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace FlashSale.Load.Telemetry;

/// <summary>
/// <c>--otlp</c>: the live figures the terminal shows, pushed once a second as OpenTelemetry metrics, so a run sits
/// next to the host's own meters (which it exports over OTLP too) in one dashboard. It reads the per-second
/// snapshots the run already cuts, through observable instruments: nothing is added to a request's path.
/// Metrics (meter <see cref="MeterName"/>): <c>flashsale.load.requests</c> (counter, by step and result),
/// <c>flashsale.load.throughput</c> (requests/s in the last second, by step), <c>flashsale.load.latency</c> (ms in
/// the last second with answers, by step and quantile p50/p90/p99/max), <c>flashsale.load.active_users</c>. The resource names
/// the service <c>flashsale-load</c>, the scenario and, in a multi-process run, the worker.
/// </summary>
internal sealed class OtlpProgress : IProgressSink, IDisposable
{
    public const string MeterName = "FlashSale.Load";

    private readonly IProgressSink _inner;
    private readonly Meter _meter = new(MeterName);
    private readonly MeterProvider _provider;
    private readonly ConcurrentDictionary<(string Step, string Result), long> _totals = new();
    private readonly ConcurrentDictionary<string, TimeSeriesPoint> _lastAnswered = new();
    private volatile ProgressSnapshot? _last;

    public OtlpProgress(IProgressSink inner, LoadOptions options, Uri endpoint)
    {
        _inner = inner;
        _meter.CreateObservableCounter("flashsale.load.requests", ObserveTotals, "{request}", "answers received, by step and result (ok, refused, error)");
        _meter.CreateObservableGauge("flashsale.load.throughput", () => Per(p => p.Rps), "{request}/s", "answers in the last second, by step");
        _meter.CreateObservableGauge("flashsale.load.latency", ObserveLatency, "ms", "latency in the last second, by step and quantile");
        _meter.CreateObservableGauge("flashsale.load.active_users", () => _last?.ActiveUsers ?? 0, "{user}", "virtual users or arrivals in flight");

        var attributes = new List<KeyValuePair<string, object>> { new("flashsale.load.scenario", options.Scenario) };
        if (options.WorkerIndex is { } worker)
        {
            attributes.Add(new("flashsale.load.worker", worker));
        }

        _provider = Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService("flashsale-load", serviceInstanceId: $"{Environment.MachineName}-{Environment.ProcessId}").AddAttributes(attributes))
            .AddMeter(MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                (exporter.Endpoint, exporter.Protocol) = Endpoint(endpoint);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = 1000;
                // Gauges of the last second: cumulative temporality for the counter, which every backend accepts.
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            })
            .Build();
    }

    /// <summary>
    /// The exporter's endpoint and protocol from what the user typed: port 4317 (or a grpc:// scheme) is OTLP/gRPC,
    /// anything else OTLP/HTTP with protobuf, to which the metrics path is added when none is given.
    /// </summary>
    public static (Uri Endpoint, OtlpExportProtocol Protocol) Endpoint(Uri given)
    {
        if (given.Scheme == "grpc" || given.Port == 4317)
        {
            return (new UriBuilder(given) { Scheme = Uri.UriSchemeHttp }.Uri, OtlpExportProtocol.Grpc);
        }

        return given.AbsolutePath is "" or "/"
            ? (new Uri(given, "/v1/metrics"), OtlpExportProtocol.HttpProtobuf)
            : (given, OtlpExportProtocol.HttpProtobuf);
    }

    public Task RunAsync(Func<Action<ProgressSnapshot>, Task> body) =>
        _inner.RunAsync(report => body(snapshot =>
        {
            foreach (var p in snapshot.Steps)
            {
                _totals.AddOrUpdate((p.Step, "ok"), p.Ok, (_, v) => v + p.Ok);
                _totals.AddOrUpdate((p.Step, "refused"), p.Refused, (_, v) => v + p.Refused);
                _totals.AddOrUpdate((p.Step, "error"), p.Errors, (_, v) => v + p.Errors);
                if (p.Count > 0)
                {
                    _lastAnswered[p.Step] = p;
                }
            }

            _last = snapshot;
            report(snapshot);
        }));

    private IEnumerable<Measurement<long>> ObserveTotals() =>
        _totals.Select(t => new Measurement<long>(t.Value, new("step", t.Key.Step), new("result", t.Key.Result)));

    private IEnumerable<Measurement<double>> Per(Func<TimeSeriesPoint, double> value) =>
        (_last?.Steps ?? []).Select(p => new Measurement<double>(value(p), new KeyValuePair<string, object?>("step", p.Step)));

    /// <summary>
    /// Each step's latency in the last second that had answers: a second without any (the run's closing partial
    /// second, a pause) keeps the gauge at its last value instead of dropping the series, so the final flush always
    /// carries the run's latest latency.
    /// </summary>
    private IEnumerable<Measurement<double>> ObserveLatency() =>
        _lastAnswered.Values.SelectMany(p => new[]
        {
            new Measurement<double>(p.P50Ms, new("step", p.Step), new("quantile", "p50")),
            new Measurement<double>(p.P90Ms, new("step", p.Step), new("quantile", "p90")),
            new Measurement<double>(p.P99Ms, new("step", p.Step), new("quantile", "p99")),
            new Measurement<double>(p.MaxMs, new("step", p.Step), new("quantile", "max")),
        });

    /// <summary>Sends what is still unsent (the last second) before the run's report is written.</summary>
    public void Dispose()
    {
        _provider.ForceFlush(5000);
        _provider.Dispose();
        _meter.Dispose();
    }
}
