using FlashSale.Load.Cli;
using FlashSale.Load.Stats;
using FlashSale.Load.Thresholds;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class ThresholdTests
{
    [Theory]
    [InlineData("purchase.p99<50ms", "purchase", null, "p99", "<", 50)]
    [InlineData("purchase.p99.9 <= 0.2s", "purchase", null, "p99.9", "<=", 200)]
    [InlineData("purchase:ok.p50<900us", "purchase", "ok", "p50", "<", 0.9)]
    [InlineData("errors<0.1%", null, null, "errors", "<", 0.001)]
    [InlineData("queue-join.errors<0.02", "queue-join", null, "errors", "<", 0.02)]
    [InlineData("rps>1000", null, null, "rps", ">", 1000)]
    [InlineData("live.rps>=5000/s", "live", null, "rps", ">=", 5000)]
    [InlineData("purchase:sold-out.count>0", "purchase", "sold-out", "count", ">", 0)]
    [InlineData("event-lag.max<250", "event-lag", null, "max", "<", 250)]
    public void Rules_parse_into_step_outcome_metric_and_normalised_value(string text, string? step, string? outcome, string metric, string op, double value)
    {
        var t = ThresholdParser.Parse(text);

        Assert.Equal(step, t.Step);
        Assert.Equal(outcome, t.Outcome);
        Assert.Equal(metric, t.Metric);
        Assert.Equal(op, t.Op switch { Comparison.Less => "<", Comparison.LessOrEqual => "<=", Comparison.Greater => ">", Comparison.GreaterOrEqual => ">=", _ => "==" });
        Assert.Equal(value, t.Value, 9);
    }

    [Theory]
    [InlineData("purchase.p99")]
    [InlineData("p99<fast")]
    [InlineData("errors<5ms")]
    [InlineData("purchase.p99<50%")]
    [InlineData("purchase.latency<50ms")]
    [InlineData("purchase.p101<5ms")]
    public void Malformed_rules_are_usage_errors(string text) =>
        Assert.Throws<UsageException>(() => ThresholdParser.Parse(text));

    [Fact]
    public void Rules_are_judged_against_the_measured_statistics()
    {
        var stats = Statistics();

        Assert.True(Judge("purchase.p99<50ms", stats).Passed);
        Assert.False(Judge("purchase.p99<5ms", stats).Passed);
        Assert.True(Judge("purchase:sold-out.count==100", stats).Passed);
        Assert.False(Judge("errors<0.1%", stats).Passed);        // 10 errors in 1110 requests
        Assert.True(Judge("errors<1%", stats).Passed);
        Assert.True(Judge("purchase.refusals>5%", stats).Passed);
        Assert.True(Judge("rps>100", stats).Passed);            // 1110 requests in 10 s
        Assert.False(Judge("rps>200", stats).Passed);
        Assert.True(Judge("pay.max<=1000ms", stats).Passed);
    }

    [Fact]
    public void A_rule_about_a_step_that_was_never_measured_fails()
    {
        var result = Judge("checkout.p99<50ms", Statistics());

        Assert.False(result.Passed);
        Assert.Contains("checkout", result.Detail, StringComparison.Ordinal);
    }

    private static ThresholdResult Judge(string text, RunStatistics stats) => ThresholdEvaluator.Evaluate(ThresholdParser.Parse(text), stats);

    private static RunStatistics Statistics()
    {
        var ok = LatencyHistograms.Create();
        for (var i = 1; i <= 1000; i++)
        {
            ok.RecordValue(i * 20); // 0.02 .. 20 ms
        }

        var soldOut = LatencyHistograms.Create();
        soldOut.RecordValueWithCount(500, 100);
        var errors = LatencyHistograms.Create();
        errors.RecordValueWithCount(30_000, 10);
        var pay = LatencyHistograms.Create();
        pay.RecordValue(900_000);
        return new RunStatistics(
        [
            new StepResult("purchase", true, [new OutcomeResult(Outcome.Ok, ok), new OutcomeResult(Outcome.Refused("sold-out"), soldOut), new OutcomeResult(Outcome.Error("http-500"), errors)]),
            new StepResult("pay", true, [new OutcomeResult(Outcome.Ok, pay)]),
        ], measuredSeconds: 10);
    }
}
