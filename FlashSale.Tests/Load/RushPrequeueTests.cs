using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Load;

/// <summary>
/// flash-rush's <c>--prequeue-seconds</c> (issue 13, item 1): the created sale has a pre-queue, the shoppers who arrive
/// before the start enter it, the host draws at the start, and the run checks every receipt against the published seed.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RushPrequeueTests(FastLiveApp app) : IClassFixture<FastLiveApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-prequeue-" + Guid.NewGuid().ToString("N"));

    private static LoadOptions Bind(params string[] args) => OptionsBinder.BindRun(ArgumentTokens.Parse(args, OptionTable.Run), args);

    [Fact]
    public void The_prequeue_option_binds_is_described_and_refuses_what_it_cannot_shape()
    {
        var o = Bind("run", "flash-rush", "--users", "100", "--prequeue-seconds", "600", "--start-in", "30s");
        Assert.Equal(600, o.PrequeueSeconds);
        Assert.Equal("600", OptionsBinder.Describe(o)["prequeueSeconds"]);
        Assert.Throws<UsageException>(() => Bind("run", "flash-rush", "--prequeue-seconds", "0"));
        Assert.Throws<UsageException>(() => Bind("run", "purchase-storm", "--prequeue-seconds", "60"));
        Assert.Throws<UsageException>(() => Bind("run", "flash-rush", "--prequeue-seconds", "60", "--waiting-room", "off"));
        Assert.Throws<UsageException>(() => Bind("run", "flash-rush", "--prequeue-seconds", "60", "--sale", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"));
    }

    [Fact]
    public async Task Shoppers_who_arrive_before_the_start_are_drawn_and_every_receipt_matches_the_published_seed()
    {
        var options = RealHostLoad.Options("flash-rush", _dir) with
        {
            Arrival = ArrivalShape.Parse("spike:30@1s"),
            Users = 30,
            Stock = 10,
            StartIn = TimeSpan.FromSeconds(5),
            PrequeueSeconds = 600,
            Duration = TimeSpan.FromSeconds(12),
            Seed = 7,
        };
        var outcome = await LoadRunner.RunAsync(options, RealHostLoad.Environment(app));

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)
            .Concat(report.Steps.SelectMany(s => s.Outcomes.Select(o => $"{s.Name}.{o.Name}={o.Count}"))));
        long Count(string step, string? name = null) =>
            report.Steps.SingleOrDefault(s => s.Name == step)?.Outcomes.Where(o => name is null || o.Name == name).Sum(o => o.Count) ?? 0;

        Assert.True(report.Audit is { Passed: true }, detail);
        Assert.Equal(30, Count("draw-wait", "ok"));
        var note = report.Notes.SingleOrDefault(n => n.StartsWith("pre-queue:", StringComparison.Ordinal));
        Assert.True(note is not null, detail);
        Assert.Contains("30 shoppers entered, 30 drawn", note, StringComparison.Ordinal);
        Assert.Contains("seed matches its published hash: yes; 30 receipts recomputed from the seed, 0 mismatches", note, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
