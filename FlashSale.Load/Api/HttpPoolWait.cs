using System.Diagnostics.Metrics;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Api;

/// <summary>
/// How long requests waited in this process for a connection of the shared HTTP pool before they were sent
/// (System.Net.Http's <c>http.client.request.time_in_queue</c>: waiting for a busy connection to come free, or for a
/// new one to be opened), as step <c>http-pool-wait</c>. Every request's latency includes that wait, and it is the
/// load tool's own queue, not the host's: with 10,000 shoppers on 1,024 connections the report must say how much
/// of a join's or a purchase's time the client itself added. Only the pool this factory is given to is counted
/// (<see cref="SocketsHttpHandler.MeterFactory"/>), not the WebSockets' connects, and only requests that waited.
/// </summary>
internal sealed class HttpPoolWait : IMeterFactory
{
    public const string StepName = "http-pool-wait";

    private static readonly Outcome Waited = new("waited", OutcomeKind.Ok);

    private readonly MeterListener _listener = new();
    private readonly List<Meter> _meters = [];
    private volatile bool _paused;

    public HttpPoolWait(StatsCollector stats)
    {
        StepStats? step = null;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Name == "http.client.request.time_in_queue" && ReferenceEquals(instrument.Meter.Scope, this))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            if (!_paused)
            {
                // The step appears only in runs where a request did wait.
                (step ??= stats.Step(StepName, isRequest: false)).RecordMicros(Waited, (long)(seconds * 1_000_000));
            }
        });
        _listener.Start();
    }

    /// <summary>
    /// Opens <paramref name="connections"/> connections of the pool before a run's crowd arrives (one request each, all
    /// at once), as every shopper's browser holds one from loading the page. Their connects are not counted as waits.
    /// </summary>
    public async Task OpenConnectionsAsync(FlashSaleApi api, int connections, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(api);
        _paused = true;
        try
        {
            await Task.WhenAll(Enumerable.Range(0, connections).Select(_ => api.GetTextAsync("/health/live", ct)));
        }
        finally
        {
            _paused = false;
        }
    }

    /// <summary>The meters of the one handler given this factory; the listener hears only them.</summary>
    public Meter Create(MeterOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = this });
        lock (_meters)
        {
            _meters.Add(meter);
        }
        return meter;
    }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }
}
