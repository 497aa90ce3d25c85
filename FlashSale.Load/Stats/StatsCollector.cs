using System.Collections.Concurrent;
using HdrHistogram;

namespace FlashSale.Load.Stats;

/// <summary>
/// All steps of a run. Workers record into <see cref="StepStats"/> from any thread; a single ticker calls
/// <see cref="Tick"/> once a second to cut the time series and to fold the interval into the totals
/// (unless it is warm-up, which is shown live but never counted).
/// </summary>
internal sealed class StatsCollector
{
    private readonly ConcurrentDictionary<string, StepStats> _steps = new(StringComparer.Ordinal);
    private readonly List<TimeSeriesPoint> _series = [];
    private readonly List<StepInterval>? _intervals;
    private readonly LongHistogram _stepScratch = LatencyHistograms.Create();
    private readonly LongHistogram _allScratch = LatencyHistograms.Create();
    private int _order;
    private double _measuredSeconds;
    private long _requests;
    private long _failures;

    /// <param name="keepIntervals">Keep each second's histogram per step (<see cref="Intervals"/>): a worker of a
    /// multi-process run sends them, so the coordinator can cut an exact merged time series.</param>
    public StatsCollector(bool keepIntervals = false)
    {
        _intervals = keepIntervals ? [] : null;
    }

    /// <summary>Each second's histogram per step, when kept (empty otherwise).</summary>
    public IReadOnlyList<StepInterval> Intervals => _intervals ?? [];

    public StepStats Step(string name, bool isRequest = true) =>
        _steps.GetOrAdd(name, n => new StepStats(n, isRequest, Interlocked.Increment(ref _order)));

    public IReadOnlyList<TimeSeriesPoint> Series => _series;

    /// <summary>Cuts one interval. Ticker thread only.</summary>
    /// <param name="second">Elapsed run time at the end of the interval, in seconds.</param>
    /// <param name="intervalSeconds">Length of the interval.</param>
    /// <param name="measured">False during warm-up: the interval shows in the series but not in the totals.</param>
    public IReadOnlyList<TimeSeriesPoint> Tick(double second, double intervalSeconds, bool measured)
    {
        var points = new List<TimeSeriesPoint>();
        _allScratch.Reset();
        foreach (var step in _steps.Values.OrderBy(s => s.Order))
        {
            _stepScratch.Reset();
            long ok = 0, refused = 0, errors = 0;
            foreach (var outcome in step.Outcomes)
            {
                var interval = outcome.TakeInterval();
                var n = interval.TotalCount;
                if (n == 0)
                {
                    continue;
                }

                _stepScratch.Add(interval);
                if (measured)
                {
                    outcome.Total.Add(interval);
                }

                switch (outcome.Outcome.Kind)
                {
                    case OutcomeKind.Ok: ok += n; break;
                    case OutcomeKind.Refused: refused += n; break;
                    default: errors += n; break;
                }
            }

            if (step.IsRequest)
            {
                _allScratch.Add(_stepScratch);
                _requests += ok + refused + errors;
                _failures += errors;
            }

            _intervals?.Add(new StepInterval(Math.Round(second, 3), intervalSeconds, step.Name, step.IsRequest, ok, refused, errors, !measured, _stepScratch.Copy()));
            points.Add(Point(second, intervalSeconds, step.Name, ok, refused, errors, _stepScratch, !measured));
        }

        if (measured)
        {
            _measuredSeconds += intervalSeconds;
        }

        _series.AddRange(points);
        LastOverallP99Ms = Ms(_allScratch, 99);
        LastOverallRps = intervalSeconds > 0 ? _allScratch.TotalCount / intervalSeconds : 0;
        return points;
    }

    public double LastOverallP99Ms { get; private set; }

    public double LastOverallRps { get; private set; }

    /// <summary>Requests answered so far, warm-up included (for the live display).</summary>
    public long Requests => _requests;

    public long Failures => _failures;

    /// <summary>The totals. Call after the last <see cref="Tick"/>.</summary>
    public RunStatistics Finish() =>
        new(_steps.Values.OrderBy(s => s.Order)
                .Select(s => new StepResult(s.Name, s.IsRequest,
                    s.Outcomes.Where(o => o.Total.TotalCount > 0)
                        .OrderBy(o => o.Outcome.Kind).ThenByDescending(o => o.Total.TotalCount)
                        .Select(o => new OutcomeResult(o.Outcome, o.Total)).ToList()))
                .ToList(),
            _measuredSeconds);

    /// <summary>One step's point of the time series from its interval histogram (also used to merge workers' intervals).</summary>
    public static TimeSeriesPoint Point(double second, double intervalSeconds, string step, long ok, long refused, long errors, HistogramBase h, bool warmup)
    {
        var count = ok + refused + errors;
        return new TimeSeriesPoint(
            Math.Round(second, 3), step, count, ok, refused, errors,
            intervalSeconds > 0 ? count / intervalSeconds : 0,
            Ms(h, 50), Ms(h, 90), Ms(h, 99), Ms(h, 100),
            warmup);
    }

    private static double Ms(HistogramBase h, double percentile) =>
        h.TotalCount == 0 ? 0 : LatencyHistograms.ToMs(percentile >= 100 ? h.GetMaxValue() : h.GetValueAtPercentile(percentile));
}
