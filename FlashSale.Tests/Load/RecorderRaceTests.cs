using FlashSale.Load.Stats;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class RecorderRaceTests
{
    [Fact]
    public async Task Ticking_while_workers_record_loses_no_sample()
    {
        var stats = new StatsCollector();
        var step = stats.Step("purchase");
        using var done = new CancellationTokenSource();
        var ticker = Task.Run(async () =>
        {
            var second = 0;
            while (!done.IsCancellationRequested)
            {
                stats.Tick(++second, 1, measured: true);
                await Task.Delay(1);
            }
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < 200_000; i++)
            {
                step.RecordMicros(i % 3 == 0 ? Outcome.Refused("sold-out") : Outcome.Ok, 100 + (i % 5000));
            }
        })));
        await done.CancelAsync();
        await ticker;
        stats.Tick(1e9, 1, measured: true);

        Assert.Equal(800_000, stats.Finish().Find("purchase")!.All.TotalCount);
    }
}
