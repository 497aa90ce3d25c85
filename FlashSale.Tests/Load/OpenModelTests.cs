using System.Net;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class OpenModelTests
{
    [Fact]
    public async Task A_stalled_response_shows_up_in_the_percentiles_of_the_arrivals_behind_it()
    {
        var calls = 0;
        using var handler = new StubHandler(async (_, ct) =>
        {
            // Call 1 is the set-up probe; call 2 stalls the host for 700 ms.
            if (Interlocked.Increment(ref calls) == 2)
            {
                await Task.Delay(700, ct);
            }

            return StubHandler.Text("ok");
        });
        var options = new LoadOptions
        {
            Scenario = "baseline",
            Rate = 100,
            MaxInFlight = 1, // one connection's worth: everything due during the stall queues behind it
            Duration = TimeSpan.FromSeconds(1.5),
            WriteReports = false,
            Seed = 1,
        };

        var outcome = await LoadRunner.RunAsync(options, new LoadEnvironment { Handler = handler, Log = TextWriter.Null, Progress = new FlashSale.Load.Terminal.NullProgress(), GitCommit = "test" });

        var live = outcome.Report.Steps.Single(s => s.Name == "live");
        Assert.InRange(live.Count, 120, 151);
        // About 70 of the ~150 arrivals were due during the stall; timed from when they were sent they would all
        // look instant. Timed from when they were due, the top 10 % waited more than half a second.
        Assert.True(live.Latency.P90Ms > 400, $"p90 {live.Latency.P90Ms} ms hides the stall");
        Assert.True(live.Latency.MaxMs >= 650, $"max {live.Latency.MaxMs} ms");
    }

    [Fact]
    public async Task A_closed_run_stops_by_itself_and_counts_refusals_apart_from_errors()
    {
        var n = 0;
        using var handler = new StubHandler((_, _) =>
        {
            var i = Interlocked.Increment(ref n);
            return Task.FromResult(i % 4 == 0
                ? new HttpResponseMessage(HttpStatusCode.ServiceUnavailable)
                {
                    Content = new StringContent("""{"type":"/problems/overloaded","title":"busy"}""", System.Text.Encoding.UTF8, "application/problem+json"),
                }
                : i % 7 == 0 ? new HttpResponseMessage(HttpStatusCode.InternalServerError) : StubHandler.Text("ok"));
        });
        var options = new LoadOptions { Scenario = "baseline", Users = 4, Duration = TimeSpan.FromSeconds(1), WriteReports = false, Thresholds = ["errors<0.1%"] };

        var outcome = await LoadRunner.RunAsync(options, new LoadEnvironment { Handler = handler, Log = TextWriter.Null, Progress = new FlashSale.Load.Terminal.NullProgress(), GitCommit = "test" });

        var live = outcome.Report.Steps.Single(s => s.Name == "live");
        Assert.Contains(live.Outcomes, o => o.Name == "overloaded" && o.Kind == FlashSale.Load.Stats.OutcomeKind.Refused);
        Assert.Contains(live.Outcomes, o => o.Name == "http-500" && o.Kind == FlashSale.Load.Stats.OutcomeKind.Error);
        Assert.False(outcome.Report.Thresholds.Single().Passed);
        Assert.Equal(LoadRunner.ExitFailed, outcome.ExitCode);
    }
}
