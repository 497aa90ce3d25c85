using Xunit.Abstractions;

namespace FlashSale.Tests.Faults;

/// <summary>PostgreSQL stops, or slows down, while two hosts sell.</summary>
[Trait("Category", TestCategory.Chaos)]
[Collection(FaultTests.Name)]
public sealed class PostgresFaultTests(FaultRig rig, ITestOutputHelper output) : IClassFixture<FaultRig>
{
    private static readonly TimeSpan FastAnswer = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Recovery = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Postgres_stopped_for_five_seconds_mid_storm_answers_503_fast_loses_nothing_and_sells_again_within_five_seconds()
    {
        const int Stock = 100_000, Limit = 1_000;
        using var storm = await rig.NewStormAsync(Stock, Limit, shoppers: 100);
        using var counts = new UnavailableCounts();
        storm.Start();

        await Task.Delay(1_500);
        var stopping = storm.Now;
        await rig.Postgres.StopAsync();
        var down = storm.Now;
        // /health says which dependency is gone (the probe is bounded, so it answers during the outage too).
        using var health = await rig.First.Anonymous().GetAsync(new Uri("/health", UriKind.Relative));
        var healthBody = await health.Content.ReadAsStringAsync();
        await Task.Delay(TimeSpan.FromSeconds(5) - (storm.Now - down));
        var starting = storm.Now;
        await rig.Postgres.StartAgainAsync();
        var up = storm.Now;
        await Task.Delay(Recovery + TimeSpan.FromSeconds(1));
        await storm.StopAsync();
        var retried = await storm.RetryUnresolvedAsync();

        var answers = storm.Answers.ToList();
        output.WriteLine($"stop {stopping.TotalMilliseconds:F0}-{down.TotalMilliseconds:F0} ms, start {starting.TotalMilliseconds:F0}-{up.TotalMilliseconds:F0} ms; {answers.Count} answers, " +
                         $"{answers.Count(a => a.IsCreated)} created, {answers.Count(a => a.IsUnavailable)} unavailable, {retried.Count} retried after");
        Assert.Contains(answers, a => a.IsCreated && a.AnsweredAt < stopping);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
        using (var body = System.Text.Json.JsonDocument.Parse(healthBody))
        {
            Assert.Equal("disconnected", body.RootElement.GetProperty("database").GetString());
            Assert.Equal("connected", body.RootElement.GetProperty("redis").GetString());
        }
        var duringOutage = answers.Where(a => a.SentAt >= down && a.AnsweredAt < starting).ToList();
        Assert.NotEmpty(duringOutage);
        Assert.All(duringOutage, a => Assert.True(a.IsUnavailable && a.ProblemSlug == "service-unavailable", $"during the outage: {a}"));
        var slowest = answers.Where(a => a.SentAt >= stopping && a.SentAt < up).MaxBy(a => a.Elapsed)!;
        output.WriteLine($"slowest during the outage: {slowest}");
        Assert.True(slowest.Elapsed < FastAnswer, $"a request waited {slowest.Elapsed.TotalMilliseconds:F0} ms during the outage: {slowest}");
        var firstSale = answers.Where(a => a.IsCreated && a.SentAt >= up).MinBy(a => a.AnsweredAt);
        output.WriteLine($"first sale after the return: {firstSale}");
        Assert.True(firstSale is not null && firstSale.AnsweredAt - up < Recovery,
            $"no 201 within {Recovery} of PostgreSQL's return (first: {firstSale})");
        Assert.All(retried, a => Assert.False(a.IsUnavailable || a.Error is not null, $"still failing after the outage: {a}"));
        // The engine meter says why: the commits failed (every 503 the hosts answered was counted, by cause).
        output.WriteLine($"503s by cause: {counts}");
        Assert.True(counts["journal"] > 0, $"no 503 counted as a failed commit: {counts}");
        Assert.True(counts.Total >= answers.Count(a => a.IsUnavailable), $"{answers.Count(a => a.IsUnavailable)} answered 503, {counts.Total} counted: {counts}");
        await new InvariantChecker(rig, storm.SaleId, Stock, Limit).AssertAllAsync([.. answers, .. retried]);
    }

    [Fact]
    public Task Postgres_200_ms_slower_makes_answers_slower_and_nothing_wrong() =>
        SlowDependency.AssertSlowerButCorrectAsync(rig, rig.PostgresProxy, "PostgreSQL", output);
}
