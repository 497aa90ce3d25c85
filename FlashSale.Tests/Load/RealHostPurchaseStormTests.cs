using System.Text.Json;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Terminal;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Load;

/// <summary>
/// FlashSale.Load's purchase-storm end to end against the REAL host in memory (fresh PostgreSQL database, real
/// Redis, the bulk-shopper endpoint on): shoppers through the bulk endpoint, a sale through the admin API, a short
/// storm that sells out, then the audit (client checks + the host's admin audit) and the three reports.
/// It asserts correctness and the files, never a speed.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RealHostPurchaseStormTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>, IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-load-e2e-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_purchase_storm_against_the_real_host_sells_out_passes_the_audit_and_writes_three_reports()
    {
        var options = new LoadOptions
        {
            Scenario = "purchase-storm",
            Target = new Uri("http://localhost"),
            Users = 40,
            Stock = 100,
            PerUserLimit = 3,
            Duration = TimeSpan.FromSeconds(2),
            Seed = 11,
            AdminEmail = FlashSaleApp.AdminEmail,
            AdminPassword = FlashSaleApp.AdminPassword,
            OutDir = Path.Combine(_dir, "out"),
            ShoppersFile = Path.Combine(_dir, "shoppers.json"),
            Thresholds = ["errors<0.1%"],
        };
        var environment = new LoadEnvironment
        {
            Handler = app.Server.CreateHandler(),
            Log = TextWriter.Null,
            Progress = new NullProgress(),
            GitCommit = "test",
        };

        var outcome = await LoadRunner.RunAsync(options, environment);

        var report = outcome.Report;
        var audit = report.Audit;
        Assert.NotNull(audit);
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes).Concat(audit.Checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}"))
            .Concat(report.Steps.SelectMany(s => s.Outcomes).Select(o => $"{o.Name}={o.Count}")));
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, detail);
        Assert.True(audit.Passed, detail);
        // Every invariant was actually checked against this host, none skipped.
        foreach (var name in new[] { "units-within-stock", "unique-order-ids", "per-user-limit", "answers-match-requests", "orders-exist", "admin-audit" })
        {
            Assert.True(audit.Checks.Single(c => c.Name == name).Status == CheckStatus.Passed, $"{name}: {detail}");
        }

        // 40 shoppers × 3 = 120 wanted, 100 in stock: never more than 100 units sold, and the refusals the host
        // gives are the contract's (sold out once the stock is gone, limit reached for a shopper who has 3).
        var purchase = report.Steps.Single(s => s.Name == "purchase");
        var ok = purchase.Outcomes.Single(o => o.Name == "ok").Count;
        Assert.InRange(ok, 1, 100);
        Assert.All(purchase.Outcomes.Where(o => o.Name != "ok"), o => Assert.Contains(o.Name, new[] { "sold-out", "limit-reached" }));
        Assert.DoesNotContain(purchase.Outcomes, o => o.Kind is FlashSale.Load.Stats.OutcomeKind.Error or FlashSale.Load.Stats.OutcomeKind.Timeout);

        Assert.NotNull(outcome.ReportDirectory);
        foreach (var file in new[] { "report.md", "report.json", "report.html" })
        {
            var path = Path.Combine(outcome.ReportDirectory, file);
            Assert.True(File.Exists(path) && new FileInfo(path).Length > 0, $"{file} written");
        }

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(outcome.ReportDirectory, "report.json")));
        Assert.True(json.RootElement.GetProperty("audit").GetProperty("passed").GetBoolean());
    }

    [Fact]
    public async Task A_paying_purchase_storm_at_a_set_rate_pays_every_order_it_reserved()
    {
        var options = new LoadOptions
        {
            Scenario = "purchase-storm",
            Target = new Uri("http://localhost"),
            Rate = 50,
            Stock = 1000,
            PerUserLimit = 1000,
            Pay = true,
            Duration = TimeSpan.FromSeconds(2),
            Seed = 13,
            AdminEmail = FlashSaleApp.AdminEmail,
            AdminPassword = FlashSaleApp.AdminPassword,
            OutDir = Path.Combine(_dir, "pay"),
            ShoppersFile = Path.Combine(_dir, "pay-shoppers.json"),
        };
        var environment = new LoadEnvironment
        {
            Handler = app.Server.CreateHandler(),
            Log = TextWriter.Null,
            Progress = new NullProgress(),
            GitCommit = "test",
        };

        var outcome = await LoadRunner.RunAsync(options, environment);

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes).Concat(report.Audit?.Checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}") ?? []));
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, detail);
        var bought = report.Steps.Single(s => s.Name == "purchase").Outcomes.Single(o => o.Name == "ok").Count;
        var pay = report.Steps.Single(s => s.Name == "pay");
        Assert.InRange(bought, 1, 1000);
        // Every payment sent was approved (a reservation answered after the run's end is left unpaid: the tool sends
        // nothing once the run is over), and the host's own audit counts exactly the units the tool saw paid.
        var paid = pay.Outcomes.Single(o => o.Name == "ok").Count;
        Assert.Equal(paid, pay.Outcomes.Sum(o => o.Count));
        Assert.InRange(paid, 1, bought);
        Assert.Contains($"paid {paid},", report.Audit!.Checks.Single(c => c.Name == "admin-audit").Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flash_rush_whose_sockets_all_fail_falls_back_to_polling_the_line_and_sells_within_stock()
    {
        var options = new LoadOptions
        {
            Scenario = "flash-rush",
            Target = new Uri("http://localhost"),
            Users = 30,
            Stock = 20,
            StartIn = TimeSpan.FromSeconds(1),
            Duration = TimeSpan.FromSeconds(6),
            Seed = 12,
            AdminEmail = FlashSaleApp.AdminEmail,
            AdminPassword = FlashSaleApp.AdminPassword,
            OutDir = Path.Combine(_dir, "rush"),
            ShoppersFile = Path.Combine(_dir, "rush-shoppers.json"),
        };
        var environment = new LoadEnvironment
        {
            Handler = app.Server.CreateHandler(),
            // Every WebSocket fails: the run must find out once, poll the line instead, and still buy.
            ConnectWebSocket = (_, _, _) => throw new NotSupportedException("no WebSocket endpoint on this host"),
            Log = TextWriter.Null,
            Progress = new NullProgress(),
            GitCommit = "test",
        };

        var outcome = await LoadRunner.RunAsync(options, environment);

        var report = outcome.Report;
        var detail = string.Join("; ", report.Verdict.Reasons.Concat(report.Notes).Concat(report.Audit?.Checks.Select(c => $"{c.Name} {c.Status}: {c.Detail}") ?? [])
            .Concat(report.Steps.SelectMany(s => s.Outcomes).Select(Named)));
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, detail);
        Assert.True(report.Audit!.Passed, detail);
        var purchase = report.Steps.Single(s => s.Name == "purchase");
        // 30 shoppers, one purchase each, 20 units: exactly 20 sold, the other 10 told sold out, nobody refused as
        // "not admitted" (admission was learnt by polling queue/me), no errors.
        Assert.Equal(20, purchase.Outcomes.Single(o => o.Name == "ok").Count);
        Assert.Equal(10, purchase.Outcomes.Single(o => o.Name == "sold-out").Count);
        Assert.Contains(report.Notes, n => n.Contains("WebSockets skipped", StringComparison.Ordinal));
        Assert.Equal(20, report.Steps.Single(s => s.Name == "pay").Outcomes.Sum(o => o.Count));

        static string Named(FlashSale.Load.Reports.OutcomeReport o) => $"{o.Name}={o.Count}";
    }

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
