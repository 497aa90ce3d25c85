using System.Text.RegularExpressions;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Load;

/// <summary>
/// flash-rush's options of issue 13: <c>--challenge-bits</c> (the sale asks each join for a proof of work, which every
/// shopper solves first: step challenge-solve) and <c>--absent</c> (shoppers who join and go away at once: the line
/// skips them), against the real host in memory whose shoppers count as absent after 1.5 s.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed partial class RushChallengeTests(ShortPresenceApp app) : IClassFixture<ShortPresenceApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-challenge-" + Guid.NewGuid().ToString("N"));

    private static LoadOptions Bind(params string[] args) => OptionsBinder.BindRun(ArgumentTokens.Parse(args, OptionTable.Run), args);

    [Fact]
    public void Absent_and_challenge_options_bind_and_are_described_in_the_report()
    {
        var o = Bind("run", "flash-rush", "--users", "100", "--absent", "30%", "--challenge-bits", "12");

        Assert.Equal(0.3, o.AbsentFraction, 6);
        Assert.Equal(12, o.ChallengeBits);
        var described = OptionsBinder.Describe(o);
        Assert.Equal("30%", described["absent"]);
        Assert.Equal("12", described["challengeBits"]);
    }

    [Theory]
    [InlineData("run", "flash-rush", "--challenge-bits", "29")]
    [InlineData("run", "flash-rush", "--challenge-bits", "-1")]
    [InlineData("run", "flash-rush", "--challenge-bits", "8", "--sale", "0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")]
    [InlineData("run", "flash-rush", "--challenge-bits", "8", "--waiting-room", "off")]
    [InlineData("run", "purchase-storm", "--challenge-bits", "8")]
    [InlineData("run", "flash-rush", "--absent", "60%", "--abandon", "50%")]
    [InlineData("run", "purchase-storm", "--absent", "10%")]
    public void Challenge_and_absence_mistakes_are_usage_errors(params string[] args) =>
        Assert.Throws<UsageException>(() => Bind(args));

    [Fact]
    public async Task Every_shopper_solves_the_sales_challenge_before_joining_and_the_line_skips_the_absent_ones()
    {
        var options = RealHostLoad.Options("flash-rush", _dir) with
        {
            Arrival = ArrivalShape.Parse("spike:40@1s"),
            Users = 40,
            Stock = 12,
            // A slow line opening 4 s after set-up: the absent shoppers (gone right after joining) are absent on the
            // host (1.5 s without a socket or a poll) before it reaches them.
            AdmissionRatePerSecond = 5,
            StartIn = TimeSpan.FromSeconds(4),
            AbsentFraction = 0.25,
            ChallengeBits = 10,
            Bots = 2,
            Duration = TimeSpan.FromSeconds(10),
            Seed = 13,
        };
        var outcome = await LoadRunner.RunAsync(options, RealHostLoad.Environment(app));

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)
            .Concat(report.Audit?.Checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}") ?? [])
            .Concat(report.Steps.SelectMany(s => s.Outcomes.Select(o => $"{s.Name}.{o.Name}={o.Count}"))));
        long Count(string step, string? name = null) =>
            report.Steps.SingleOrDefault(s => s.Name == step)?.Outcomes.Where(o => name is null || o.Name == name).Sum(o => o.Count) ?? 0;

        Assert.True(report.Audit is { Passed: true }, detail);
        // Every shopper and bot solved the proof before joining, and the host took every join: the tool's solver
        // and the host's check agree on a real run.
        Assert.Equal(42, Count("challenge-solve", "ok"));
        Assert.Equal(40, Count("queue-join", "ok"));
        Assert.Equal(2, Count("bot-join", "ok"));
        Assert.Contains(report.Notes, n => n.StartsWith("join challenge: 10 bits", StringComparison.Ordinal));
        // 10 shoppers went away right after joining; the host counted them absent and the line passed their places.
        Assert.Equal(10, Count("absent", "went-away"));
        Assert.True(Count("eta-quoted") >= 30, detail);
        var line = report.Notes.SingleOrDefault(n => n.StartsWith("line (host's queue/stats", StringComparison.Ordinal));
        Assert.True(line is not null, detail);
        var peak = LinePeakAbsent().Match(line);
        Assert.True(peak.Success && long.Parse(peak.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 10, line);
    }

    [GeneratedRegex(@"absent \(peak (\d+)\)")]
    private static partial Regex LinePeakAbsent();

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
