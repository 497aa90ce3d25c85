using System.Diagnostics;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class StatisticsTests
{
    [Fact]
    public void Histograms_recorded_by_separate_workers_merge_into_exact_totals()
    {
        var a = LatencyHistograms.Create();
        var b = LatencyHistograms.Create();
        for (var i = 1; i <= 1000; i++)
        {
            a.RecordValue(i * 1000);          // 1..1000 ms
            b.RecordValue(1_000_000 + i);     // ~1 s
        }

        var merged = StepResult.Merge([a, b]);

        Assert.Equal(2000, merged.TotalCount);
        Assert.InRange(LatencySummary.PercentileMs(merged, 25), 499, 501);
        Assert.InRange(LatencySummary.From(merged).MaxMs, 1000.9, 1002.1); // 3 significant digits: within 0.1 %
    }

    [Fact]
    public void Percentiles_are_read_in_milliseconds_within_a_tenth_of_a_percent()
    {
        var h = LatencyHistograms.Create();
        for (var ms = 1; ms <= 100; ms++)
        {
            h.RecordValue(ms * 1000);
        }

        var s = LatencySummary.From(h);

        Assert.Equal(100, s.Count);
        Assert.InRange(s.P50Ms, 49.9, 50.1);
        Assert.InRange(s.P90Ms, 89.9, 90.1);
        Assert.InRange(s.P99Ms, 98.9, 99.1);
        Assert.InRange(s.MaxMs, 99.9, 100.1);
        Assert.InRange(s.MeanMs, 50.4, 50.6);
    }

    [Fact]
    public void An_empty_histogram_reads_as_zeros()
    {
        Assert.Equal(LatencySummary.Empty, LatencySummary.From(LatencyHistograms.Create()));
        Assert.Empty(LatencySummary.Distribution(LatencyHistograms.Create()));
    }

    [Fact]
    public async Task Concurrent_recording_loses_nothing_and_warmup_stays_out_of_the_totals()
    {
        var stats = new StatsCollector();
        var step = stats.Step("purchase");
        step.RecordMicros(Outcome.Ok, 5_000_000); // recorded during warm-up
        stats.Tick(1, 1, measured: false);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                step.RecordMicros(i % 10 == 0 ? Outcome.Refused("sold-out") : Outcome.Ok, 1000 + i);
            }
        })));
        stats.Tick(2, 1, measured: true);

        var result = stats.Finish().Find("purchase")!;
        Assert.Equal(80_000, result.All.TotalCount);
        Assert.Equal(8_000, result.Find("sold-out")!.Histogram.TotalCount);
        Assert.True(LatencySummary.From(result.All).MaxMs < 1000, "the warm-up's 5 s sample must not be in the totals");
        Assert.Equal(2, stats.Series.Count);
        Assert.True(stats.Series[0].Warmup);
        Assert.Equal(80_000, stats.Series[1].Count);
        Assert.Equal(8_000, stats.Series[1].Refused);
    }

    [Fact]
    public void The_first_step_of_an_arrival_is_timed_from_its_intended_send_time()
    {
        var stats = new StatsCollector();
        var step = stats.Step("purchase");
        var user = new VirtualUser(0, -1, null, 1);
        user.Arrive(Stopwatch.GetTimestamp() - Stopwatch.Frequency / 5); // due 200 ms ago: it waited for a slot

        step.Record(Outcome.Ok, user.BeginStep());
        step.Record(Outcome.Ok, user.BeginStep()); // the next step starts now
        stats.Tick(1, 1, measured: true);

        var h = stats.Finish().Find("purchase")!.All;
        Assert.True(LatencySummary.From(h).MaxMs >= 199, "the wait before sending is part of the latency");
        Assert.True(LatencySummary.PercentileMs(h, 0) < 50, "only the first step carries the intended time");
    }

    [Fact]
    public void Evenly_spaced_arrivals_follow_the_rate_and_the_ramp()
    {
        var flat = new ArrivalSchedule(100, TimeSpan.Zero, TimeSpan.FromSeconds(2), poisson: false, seed: 1).Offsets().ToList();
        var ramped = new ArrivalSchedule(100, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2), poisson: false, seed: 1).Offsets().ToList();
        var poisson = new ArrivalSchedule(1000, TimeSpan.Zero, TimeSpan.FromSeconds(5), poisson: true, seed: 7).Offsets().ToList();

        Assert.InRange(flat.Count, 199, 200);
        Assert.InRange(flat[1] - flat[0], 0.0099, 0.0101);
        Assert.InRange(ramped.Count, 99, 100); // a linear ramp over the whole window sends half
        Assert.True(ramped[1] - ramped[0] > ramped[^1] - ramped[^2], "gaps shrink as the rate climbs");
        Assert.InRange(poisson.Count, 4800, 5200);
        Assert.Equal(poisson, new ArrivalSchedule(1000, TimeSpan.Zero, TimeSpan.FromSeconds(5), poisson: true, seed: 7).Offsets().ToList());
    }
}
