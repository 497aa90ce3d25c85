using FlashSale.Load.Running;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Load;

/// <summary>FlashSale.Load's flash-rush against the real host in memory, every shopper on a WebSocket.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RealHostFlashRushTests(FastLiveApp app) : IClassFixture<FastLiveApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-rush-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Every_shopper_still_in_line_when_the_stock_ran_out_is_counted_in_sold_out_told()
    {
        var options = RealHostLoad.Options("flash-rush", _dir) with
        {
            Users = 30,
            Stock = 5,
            // A slow line: most shoppers are still waiting when the 5 units are gone.
            AdmissionRatePerSecond = 5,
            StartIn = TimeSpan.FromSeconds(2),
            Duration = TimeSpan.FromSeconds(8),
            Seed = 17,
        };

        var outcome = await LoadRunner.RunAsync(options, RealHostLoad.Environment(app));

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)
            .Concat(report.Steps.SelectMany(s => s.Outcomes.Select(o => $"{s.Name}.{o.Name}={o.Count}"))));
        long Count(string step, string? name = null) =>
            report.Steps.SingleOrDefault(s => s.Name == step)?.Outcomes.Where(o => name is null || o.Name == name).Sum(o => o.Count) ?? 0;
        Assert.True(report.Audit is { Passed: true }, detail);
        Assert.Equal(5, Count("purchase", "ok"));
        Assert.Equal(30, Count("ws-connect", "ok"));
        var toldInLine = Count("admission-wait", "sold-out");
        Assert.True(toldInLine >= 10, detail);
        // Each of them has a time from the last unit to being told, in the report.
        Assert.Equal(toldInLine, Count("sold-out-told"));
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
