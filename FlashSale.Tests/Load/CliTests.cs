using FlashSale.Load.Api;
using FlashSale.Load.Cli;
using FlashSale.Load.Realtime;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class CliTests
{
    private static LoadOptions Bind(params string[] args) => OptionsBinder.BindRun(ArgumentTokens.Parse(args, OptionTable.Run), args);

    [Fact]
    public void Run_options_bind_with_units_and_repeatable_thresholds()
    {
        var o = Bind("run", "purchase-storm", "--rate", "2000/s", "--ramp=5s", "--duration", "1m30s", "--warmup", "500ms",
            "--threshold", "purchase.p99<50ms", "--threshold", "errors<0.1%", "--stock", "500", "--waiting-room", "off", "--no-audit");

        Assert.Equal("purchase-storm", o.Scenario);
        Assert.True(o.IsOpenModel);
        Assert.Equal(2000, o.Rate);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Ramp);
        Assert.Equal(TimeSpan.FromSeconds(90), o.Duration);
        Assert.Equal(TimeSpan.FromMilliseconds(500), o.Warmup);
        Assert.Equal(["purchase.p99<50ms", "errors<0.1%"], o.Thresholds);
        Assert.Equal(500, o.Stock);
        Assert.False(o.WaitingRoom);
        Assert.False(o.Audit);
        Assert.Equal(TargetGuard.DefaultTarget, o.Target);
    }

    [Theory]
    [InlineData("run")]
    [InlineData("run", "baseline", "--users", "10", "--rate", "5")]
    [InlineData("run", "baseline", "--bogus")]
    [InlineData("run", "baseline", "--duration", "soon")]
    [InlineData("run", "baseline", "--users")]
    [InlineData("run", "baseline", "--threshold", "p99 fast")]
    [InlineData("run", "baseline", "--target", "ftp://127.0.0.1")]
    [InlineData("run", "baseline", "--target", "http://127.0.0.1:5000/api")]
    [InlineData("run", "baseline", "--seed", "1", "--seed", "2")]
    public void Mistakes_are_usage_errors_before_any_load_is_sent(params string[] args) =>
        Assert.Throws<UsageException>(() => Bind(args));

    [Theory]
    [InlineData("http://127.0.0.1:5000", true)]
    [InlineData("http://localhost:5000", true)]
    [InlineData("http://[::1]:5000", true)]
    [InlineData("http://10.1.2.3:5000", false)]
    [InlineData("https://shop.example.com", false)]
    public void Targets_are_described_as_loopback_or_named_remote(string target, bool loopback)
    {
        var uri = TargetGuard.Parse(target);

        Assert.Equal(loopback, TargetGuard.IsLoopback(uri));
        Assert.Contains(loopback ? "(loopback)" : "NOT loopback", TargetGuard.Describe(uri), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://flashsale.local/problems/sold-out", "sold-out")]
    [InlineData("/problems/limit-reached", "limit-reached")]
    [InlineData("urn:flashsale:not-admitted", "not-admitted")]
    [InlineData("about:blank", null)]
    [InlineData(null, null)]
    public void Problem_types_reduce_to_their_slug(string? type, string? slug) => Assert.Equal(slug, ProblemSlug.From(type));

    [Fact]
    public void Refusals_named_by_the_contract_are_not_errors()
    {
        Assert.Equal(FlashSale.Load.Stats.OutcomeKind.Refused, OutcomeClassifier.FromStatus(409, "sold-out").Kind);
        Assert.Equal(FlashSale.Load.Stats.OutcomeKind.Refused, OutcomeClassifier.FromStatus(503, "overloaded").Kind);
        Assert.Equal("rate-limited", OutcomeClassifier.FromStatus(429, null).Name);
        Assert.Equal(FlashSale.Load.Stats.OutcomeKind.Error, OutcomeClassifier.FromStatus(503, null).Kind);
        Assert.Equal(FlashSale.Load.Stats.OutcomeKind.Error, OutcomeClassifier.FromStatus(401, null).Kind);
    }

    [Fact]
    public async Task The_admission_gate_lets_tickets_through_in_order_and_releases_everyone_when_sold_out()
    {
        var gate = new AdmissionGate();
        var first = gate.WaitAsync(1);
        var second = gate.WaitAsync(2);
        var third = gate.WaitAsync(3);

        gate.Advance(2);
        Assert.Equal(Admission.Admitted, await first);
        Assert.Equal(Admission.Admitted, await second);
        Assert.False(third.IsCompleted);

        gate.Close(Admission.SoldOut);
        Assert.Equal(Admission.SoldOut, await third);
        Assert.Equal(Admission.SoldOut, await gate.WaitAsync(4));
    }

    [Fact]
    public void Socket_frames_advance_the_line_close_it_when_sold_out_and_record_event_lag()
    {
        var stats = new FlashSale.Load.Stats.StatsCollector();
        var sale = Guid.NewGuid();
        var feed = new SaleFeed(sale, stats.Step("event-lag", isRequest: false));
        var sentAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 40;

        feed.OnFrame(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"queue","saleId":"{{sale}}","admittedThrough":7,"ratePerSecond":100,"sentAt":{{sentAt}}}"""));
        feed.OnFrame(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"stock","saleId":"{{Guid.NewGuid()}}","remainingStock":0,"status":"sold_out"}"""));
        Assert.Equal(7, feed.Gate.AdmittedThrough);
        Assert.False(feed.Gate.IsClosed, "another sale's frame changes nothing");

        feed.OnFrame(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"stock","saleId":"{{sale}}","remainingStock":0,"status":"sold_out"}"""));
        Assert.True(feed.Gate.IsClosed);
        Assert.Null(feed.OnFrame("not json"u8));

        stats.Tick(1, 1, measured: true);
        var lag = stats.Finish().Find("event-lag")!;
        Assert.Equal(1, lag.All.TotalCount);
        Assert.True(FlashSale.Load.Stats.LatencySummary.From(lag.All).MaxMs >= 40);
        Assert.Equal(2, feed.Frames);
    }

    [Fact]
    public void A_frame_published_before_the_socket_subscribed_counts_its_lag_from_the_subscription_and_its_age_apart()
    {
        // The frames a subscription starts with are the sale's latest, published whenever it last changed (seconds
        // before a shopper opens the page): their age is not delivery delay. What the shopper waited for them is the
        // time since it subscribed.
        var stats = new FlashSale.Load.Stats.StatsCollector();
        var sale = Guid.NewGuid();
        var feed = new SaleFeed(sale, stats.Step("event-lag", isRequest: false), stats.Step("snapshot-age", isRequest: false));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var subscribedAt = now - 40;
        var publishedLongBefore = now - 5_000;

        feed.OnFrame(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"stock","saleId":"{{sale}}","remainingStock":9,"status":"active","sentAt":{{publishedLongBefore}}}"""), subscribedAt);
        feed.OnFrame(System.Text.Encoding.UTF8.GetBytes($$"""{"type":"queue","saleId":"{{sale}}","admittedThrough":3,"ratePerSecond":100,"sentAt":{{now - 20}}}"""), subscribedAt);

        stats.Tick(1, 1, measured: true);
        var result = stats.Finish();
        var lag = FlashSale.Load.Stats.LatencySummary.From(result.Find("event-lag")!.All);
        Assert.Equal(2, lag.Count);
        Assert.InRange(lag.MaxMs, 20, 2_000);
        var age = FlashSale.Load.Stats.LatencySummary.From(result.Find("snapshot-age")!.All);
        Assert.Equal(1, age.Count);
        Assert.True(age.MaxMs >= 5_000, $"the snapshot's age is kept apart: {age.MaxMs} ms");
    }
}
