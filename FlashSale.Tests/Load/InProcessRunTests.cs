using System.Text.Json;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Terminal;

namespace FlashSale.Tests.Load;

/// <summary>
/// The runner end to end against an in-memory fake of the host's contract: shoppers prepared through the bulk
/// endpoint, a sale created, a storm, the audit, the reports. No sockets; seconds, not minutes.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class InProcessRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_purchase_storm_against_a_correct_host_passes_the_audit_and_writes_three_reports()
    {
        using var host = new FakeFlashSaleHost();

        var outcome = await RunAsync(host, Storm() with { Thresholds = ["purchase:ok.count==60", "errors<0.1%"] });

        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, string.Join("; ", outcome.Report.Verdict.Reasons.Concat(outcome.Report.Notes).Concat(outcome.Report.Audit!.Checks.Select(c => c.Detail)).Concat(outcome.Report.Steps.SelectMany(s => s.Outcomes).Select(o => $"{o.Name}={o.Count}"))) + " measured " + outcome.Report.Run.MeasuredSeconds);
        var audit = outcome.Report.Audit!;
        Assert.True(audit.Passed, string.Join("; ", audit.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Equal(CheckStatus.Passed, audit.Checks.Single(c => c.Name == "orders-exist").Status);
        Assert.Equal(CheckStatus.Passed, audit.Checks.Single(c => c.Name == "admin-audit").Status);
        var purchase = outcome.Report.Steps.Single(s => s.Name == "purchase");
        Assert.Contains(purchase.Outcomes, o => o.Name == "sold-out");
        Assert.All(outcome.Report.Thresholds, t => Assert.True(t.Passed, t.Detail));

        Assert.True(File.Exists(Path.Combine(_dir, "shoppers.json")), "prepared shoppers are stored for the next run");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "out", "report.json")));
        Assert.True(json.RootElement.GetProperty("audit").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task A_host_that_oversells_fails_the_audit_and_the_exit_code()
    {
        using var host = new FakeFlashSaleHost { Oversell = true, HasAudit = false };

        var outcome = await RunAsync(host, Storm() with { PerUserLimit = 1000 });

        Assert.Equal(LoadRunner.ExitFailed, outcome.ExitCode);
        Assert.Equal(CheckStatus.Failed, outcome.Report.Audit!.Checks.Single(c => c.Name == "units-within-stock").Status);
        Assert.Equal(CheckStatus.Skipped, outcome.Report.Audit.Checks.Single(c => c.Name == "admin-audit").Status);
        Assert.Contains(outcome.Report.Verdict.Reasons, r => r.Contains("audit failed", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_host_that_repeats_order_ids_fails_the_audit()
    {
        using var host = new FakeFlashSaleHost { DuplicateOrders = true };

        var outcome = await RunAsync(host, Storm());

        Assert.Equal(CheckStatus.Failed, outcome.Report.Audit!.Checks.Single(c => c.Name == "unique-order-ids").Status);
        Assert.Equal(LoadRunner.ExitFailed, outcome.ExitCode);
    }

    [Fact]
    public async Task A_flash_rush_skips_what_the_host_does_not_offer_and_still_buys_and_pays()
    {
        using var host = new FakeFlashSaleHost();
        var options = Storm() with
        {
            Scenario = "flash-rush",
            Users = 40,
            Stock = 25,
            PerUserLimit = 1,
            StartIn = TimeSpan.Zero,
            Duration = TimeSpan.FromSeconds(5),
        };

        // No WebSocket support and no queue route on this host: both are skipped with a note.
        var outcome = await RunAsync(host, options, (_, _, _) => throw new NotSupportedException("no websockets in this test"));

        Assert.Equal(LoadRunner.ExitPassed, outcome.ExitCode);
        Assert.Equal(25, outcome.Report.Steps.Single(s => s.Name == "purchase").Outcomes.Single(o => o.Name == "ok").Count);
        Assert.Equal(25, outcome.Report.Steps.Single(s => s.Name == "pay").Count);
        Assert.Contains(outcome.Report.Notes, n => n.Contains("WebSockets skipped", StringComparison.Ordinal));
        Assert.Contains(outcome.Report.Notes, n => n.Contains("no waiting room", StringComparison.Ordinal));
        Assert.True(outcome.Report.Audit!.Passed);
        Assert.True(outcome.Report.Run.MeasuredSeconds < 5, "every shopper done: the run ends early by itself");
    }

    [Fact]
    public async Task A_host_that_does_not_answer_fails_set_up_with_its_own_exit_code()
    {
        using var handler = new StubHandler((_, _) => throw new HttpRequestException("refused", null, System.Net.HttpStatusCode.ServiceUnavailable));

        var outcome = await LoadRunner.RunAsync(new LoadOptions { Scenario = "baseline", OutDir = _dir, Duration = TimeSpan.FromSeconds(1) }, Env(handler));

        Assert.Equal(LoadRunner.ExitSetup, outcome.ExitCode);
        Assert.True(File.Exists(Path.Combine(_dir, "report.md")), "a failed set-up still leaves a report saying why");
    }

    private LoadOptions Storm() => new()
    {
        Scenario = "purchase-storm",
        Users = 20,
        Stock = 60,
        PerUserLimit = 3,
        Duration = TimeSpan.FromSeconds(2),
        Seed = 3,
        OutDir = Path.Combine(_dir, "out"),
        ShoppersFile = Path.Combine(_dir, "shoppers.json"),
    };

    private static Task<RunOutcome> RunAsync(HttpMessageHandler host, LoadOptions options, Func<Uri, string, CancellationToken, Task<System.Net.WebSockets.WebSocket>>? ws = null) =>
        LoadRunner.RunAsync(options, Env(host) with { ConnectWebSocket = ws });

    private static LoadEnvironment Env(HttpMessageHandler handler) =>
        new() { Handler = handler, Log = TextWriter.Null, Progress = new NullProgress(), GitCommit = "test" };

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
