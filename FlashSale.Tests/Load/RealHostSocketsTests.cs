using FlashSale.Load.Running;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Load;

/// <summary>The load tool's <c>sockets</c> scenario against the real host in memory: open screens hear stock changes.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RealHostSocketsTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-sockets-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Open_sockets_all_connect_and_record_the_lag_of_the_stock_changes_they_hear()
    {
        var options = RealHostLoad.Options("sockets", _dir) with
        {
            Users = 20,
            Duration = TimeSpan.FromSeconds(3),
            Seed = 13,
        };

        var outcome = await LoadRunner.RunAsync(options, RealHostLoad.Environment(app));

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes).Concat(report.Steps.SelectMany(s => s.Outcomes).Select(o => $"{o.Name}={o.Count}")));
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, detail);
        Assert.Equal(20, report.Steps.Single(s => s.Name == "ws-connect").Outcomes.Single(o => o.Name == "ok").Count);
        Assert.True(report.Steps.Single(s => s.Name == "stock-change").Outcomes.Single(o => o.Name == "ok").Count >= 1, detail);
        // Every socket heard at least the stock frame of its subscription plus one change.
        Assert.True(report.Steps.Single(s => s.Name == "event-lag").Outcomes.Sum(o => o.Count) >= 40, detail);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
