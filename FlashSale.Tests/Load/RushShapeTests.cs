using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Distributed;
using FlashSale.Load.Running;
using FlashSale.Load.Shoppers;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Load;

/// <summary>
/// flash-rush's realistic rush shapes (issue 15): <c>--arrival</c>, <c>--abandon</c>, <c>--refreshers</c>,
/// <c>--watchers</c>, <c>--bots</c>. The options and the arithmetic on their own, then every kind at once against
/// the real host in memory, each counted apart in the report.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RushShapeTests(FastLiveApp app) : IClassFixture<FastLiveApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-shapes-" + Guid.NewGuid().ToString("N"));

    private static LoadOptions Bind(params string[] args) => OptionsBinder.BindRun(ArgumentTokens.Parse(args, OptionTable.Run), args);

    [Fact]
    public void Arrival_shapes_parse_and_spread_the_users_as_named()
    {
        var spike = ArrivalShape.Parse("spike:10000@1s");
        Assert.Equal((ArrivalKind.Spike, 10_000, TimeSpan.FromSeconds(1)), (spike.Kind, spike.Users, spike.Window));
        Assert.Equal(TimeSpan.Zero, spike.DueAt(0, 10_000));
        Assert.Equal(TimeSpan.FromMilliseconds(500), spike.DueAt(5_000, 10_000));
        Assert.True(spike.DueAt(9_999, 10_000) < TimeSpan.FromSeconds(1));

        // A linearly rising rate: a quarter of the users by half the window, all of them by its end.
        var ramp = ArrivalShape.Parse("ramp:100@30s");
        Assert.Equal(TimeSpan.FromSeconds(15), ramp.DueAt(25, 100));
        Assert.Equal(TimeSpan.FromSeconds(3), ramp.DueAt(1, 100));

        // 5 batches of 2,000, 2 s apart.
        var steps = ArrivalShape.Parse("steps:10000@10s/5");
        Assert.Equal(TimeSpan.Zero, steps.DueAt(1_999, 10_000));
        Assert.Equal(TimeSpan.FromSeconds(2), steps.DueAt(2_000, 10_000));
        Assert.Equal(TimeSpan.FromSeconds(8), steps.DueAt(9_999, 10_000));
        Assert.Equal("steps:10000@10s/5", steps.ToString());
        Assert.Equal("spike:10000@1s", ArrivalShape.Parse(spike.ToString()).ToString());
    }

    [Fact]
    public void Crowd_options_bind_and_set_the_users_from_the_arrival()
    {
        var o = Bind("run", "flash-rush", "--arrival", "spike:3000@1s", "--abandon", "20%@5s", "--refreshers", "0.05", "--watchers", "100", "--bots", "7");

        Assert.Equal(3000, o.Users);
        Assert.Equal(ArrivalKind.Spike, o.Arrival!.Kind);
        Assert.Equal(0.2, o.AbandonFraction, 6);
        Assert.Equal(TimeSpan.FromSeconds(5), o.AbandonWithin);
        Assert.Equal(0.05, o.RefresherFraction, 6);
        Assert.Equal((100, 7), (o.Watchers, o.Bots));
        Assert.Equal(3000 + 100 + 7, LoadRunner.ShoppersNeeded(o, FlashSale.Load.Scenarios.ScenarioRegistry.Create("flash-rush")));
    }

    [Theory]
    [InlineData("run", "flash-rush", "--arrival", "burst:10@1s")]
    [InlineData("run", "flash-rush", "--arrival", "steps:10@1s")]
    [InlineData("run", "flash-rush", "--arrival", "spike:10@1s", "--users", "20")]
    [InlineData("run", "flash-rush", "--arrival", "spike:10@1s", "--rate", "5/s")]
    [InlineData("run", "flash-rush", "--abandon", "120%")]
    [InlineData("run", "flash-rush", "--abandon", "60%", "--refreshers", "50%")]
    [InlineData("run", "purchase-storm", "--bots", "3")]
    [InlineData("run", "flash-rush", "--rate", "100/s", "--watchers", "3")]
    public void Crowd_mistakes_are_usage_errors(params string[] args) =>
        Assert.Throws<UsageException>(() => Bind(args));

    [Fact]
    public void Workers_each_get_their_share_of_buyers_watchers_and_bots_with_the_run_s_shopper_indexes()
    {
        var shoppers = Enumerable.Range(0, 10 + 4 + 2).Select(i => new ShopperToken(Guid.NewGuid(), $"s{i}@x", $"t{i}")).ToList();
        var o = new LoadOptions { Scenario = "flash-rush", Users = 10, Watchers = 4, Bots = 2, Arrival = ArrivalShape.Parse("spike:10@1s") };

        var plans = Coordinator.Plan(o, shoppers, Guid.NewGuid(), ["a", "b"]);

        Assert.Equal([0, 1, 2, 3, 4, 10, 11, 14], plans[0].ShopperIndexes);
        Assert.Equal([5, 6, 7, 8, 9, 12, 13, 15], plans[1].ShopperIndexes);
        Assert.All(plans, p => Assert.Equal((5, 2, 1, 5), (p.Options.Users, p.Options.Watchers, p.Options.Bots, p.Options.Arrival!.Users)));
        // A worker lays its slice out as a single run does: its buyers, then its watchers, then its bots.
        Assert.Equal(shoppers[12], plans[1].Shoppers[5]);
    }

    [Fact]
    public void A_purchase_out_of_turn_fails_the_audit()
    {
        Assert.Equal(CheckStatus.Passed, AuditRules.LineOrder(0).Status);
        Assert.Equal(CheckStatus.Failed, AuditRules.LineOrder(2).Status);
    }

    [Fact]
    public async Task Every_kind_of_rush_shopper_is_counted_apart_against_the_real_host_and_the_sale_stays_exact()
    {
        var options = RealHostLoad.Options("flash-rush", _dir) with
        {
            Arrival = ArrivalShape.Parse("spike:40@1s"),
            Users = 40,
            Stock = 12,
            // A slow line (5 admissions a second, opening 4 s after set-up): every abandoner (patience under 1 s)
            // leaves long before its turn, refreshers refresh for seconds.
            AdmissionRatePerSecond = 5,
            StartIn = TimeSpan.FromSeconds(4),
            AbandonFraction = 0.25,
            AbandonWithin = TimeSpan.FromSeconds(1),
            RefresherFraction = 0.1,
            Watchers = 5,
            Bots = 3,
            Duration = TimeSpan.FromSeconds(10),
            Seed = 21,
        };
        var outcome = await LoadRunner.RunAsync(options, RealHostLoad.Environment(app));

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)
            .Concat(report.Audit?.Checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}") ?? [])
            .Concat(report.Steps.SelectMany(s => s.Outcomes.Select(o => $"{s.Name}.{o.Name}={o.Count}"))));
        long Count(string step, string? name = null) =>
            report.Steps.SingleOrDefault(s => s.Name == step)?.Outcomes.Where(o => name is null || o.Name == name).Sum(o => o.Count) ?? 0;

        Assert.True(report.Audit is { Passed: true }, detail);
        Assert.Contains(report.Audit!.Checks, c => c.Name == "line-order" && c.Status == CheckStatus.Passed);
        Assert.Equal(0, report.Audit.Figures!.LineInversions);
        Assert.Contains(report.Notes, n => n.StartsWith("crowd: 10 abandoners", StringComparison.Ordinal));
        // 10 abandoners left the line, every one of them, before being admitted.
        Assert.Equal(10, Count("abandon", "left-line"));
        Assert.Equal(40, Count("queue-join", "ok"));
        Assert.Equal(40, Count("ws-connect", "ok"));
        // 4 refreshers polled and reloaded their page while in line.
        Assert.True(Count("refresh-poll", "ok") >= 4, detail);
        Assert.True(Count("refresh-connect", "ok") >= 4, detail);
        // 5 watchers, each on a socket of its own, heard frames and bought nothing.
        Assert.Equal(5, Count("watch-connect", "ok"));
        Assert.True(Count("watch-event-lag") >= 5, detail);
        // 3 bots joined and hammered the purchase before their turn: refused, never ahead of the line.
        Assert.Equal(3, Count("bot-join", "ok"));
        Assert.True(Count("bot-purchase", "not-admitted") + Count("bot-purchase", "sale-not-active") >= 3, detail);
        // Every unit sold is one the audit found, shoppers' and bots' together, never more than the stock (abandoners'
        // admissions and refreshers' rate-limited purchases may leave some unsold within the run).
        var sold = Count("purchase", "ok") + Count("bot-purchase", "ok");
        Assert.Equal(report.Audit.Figures.UnitsSold, sold);
        Assert.InRange(sold, 1, 12);
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
