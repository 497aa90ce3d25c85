using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Distributed;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;
using FlashSale.Load.Terminal;
using FlashSale.Tests.Infrastructure;
using HdrHistogram;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace FlashSale.Tests.Load;

/// <summary>
/// A run spread over two workers that coordinate through the test Redis (a key prefix of their own): the merged
/// report's totals are the sum of the workers', and the audit of the merged purchases holds.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class DistributedRunTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "flashsale-dist-" + Guid.NewGuid().ToString("N"));
    private readonly string _prefix = "flashsale-load-test-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void Histograms_survive_the_encoding_exactly()
    {
        var h = LatencyHistograms.Create();
        foreach (var v in new long[] { 1, 250, 999, 5_000, 5_001, 123_456, 299_000_000 })
        {
            h.RecordValue(v);
        }

        var back = HistogramCodec.Decode(HistogramCodec.Encode(h));

        Assert.Equal(h.TotalCount, back.TotalCount);
        Assert.Equal(h.GetMaxValue(), back.GetMaxValue());
        Assert.Equal(h.GetValueAtPercentile(50), back.GetValueAtPercentile(50));
        Assert.Equal(h.RecordedValues().Select(x => (x.ValueIteratedTo, x.CountAtValueIteratedTo)), back.RecordedValues().Select(x => (x.ValueIteratedTo, x.CountAtValueIteratedTo)));
    }

    [Fact]
    public async Task Two_workers_in_a_purchase_storm_merge_into_one_report_whose_totals_are_their_sum()
    {
        using var host = new FakeFlashSaleHost();
        var options = new LoadOptions
        {
            Scenario = "purchase-storm",
            Users = 20,
            Stock = 60,
            PerUserLimit = 3,
            Duration = TimeSpan.FromSeconds(3),
            Seed = 5,
            OutDir = Path.Combine(_dir, "out"),
            ShoppersFile = Path.Combine(_dir, "shoppers.json"),
            Processes = 2,
            Redis = TestEnvironment.Redis,
            RedisPrefix = _prefix,
        };
        var env = Env(host) with
        {
            // The workers run in this process (they share the in-memory host) but talk only through Redis.
            StartLocalWorker = (start, ct) => Task.Run(() => WorkerCommand.RunAsync(
                new WorkerOptions(start.Redis, start.Prefix, start.RunId, start.Name, null), Env(host), ct), ct),
        };

        var outcome = await LoadRunner.RunAsync(options, env);

        var report = outcome.Report;
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)));
        var workers = report.Workers!;
        Assert.Equal(["local-1", "local-2"], workers.Select(w => w.Worker).Order().ToArray());
        Assert.All(workers, w => Assert.True(w.Requests > 0, $"{w.Worker} sent nothing"));
        Assert.Equal(20, workers.Sum(w => w.Shoppers));
        Assert.Equal(workers.Sum(w => w.Requests), report.Totals.Requests);
        Assert.Equal(workers.Sum(w => w.Ok), report.Totals.Ok);
        Assert.Equal(workers.Sum(w => w.Refused), report.Totals.Refused);
        Assert.Equal(host.Purchases, report.Totals.Requests);
        Assert.Equal(report.Totals.Requests, report.TimeSeries.Where(p => p.Step == "purchase").Sum(p => p.Count));

        // Sold out exactly once over both workers, and the audit (reading every order back with its owner's token)
        // holds on the merged purchases.
        Assert.Equal(60, report.Steps.Single(s => s.Name == "purchase").Outcomes.Single(o => o.Name == "ok").Count);
        Assert.True(report.Audit!.Passed, string.Join("; ", report.Audit.Checks.Select(c => $"{c.Name}: {c.Detail}")));
        Assert.Equal(CheckStatus.Passed, report.Audit.Checks.Single(c => c.Name == "orders-exist").Status);
        Assert.Equal(60, report.Audit.Figures!.UnitsSold);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        Assert.Empty(redis.GetServers()[0].Keys(redis.GetDatabase().Database, _prefix + ":run:*"));
    }

    [Fact]
    public async Task Two_worker_processes_load_a_real_loopback_server_and_their_sum_is_the_report()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var app = builder.Build();
        long served = 0;
        app.MapGet("/health/live", () =>
        {
            Interlocked.Increment(ref served);
            return "ok";
        });
        await app.StartAsync();
        var address = new Uri(app.Urls.First());

        var outcome = await LoadRunner.RunAsync(
            new LoadOptions
            {
                Scenario = "baseline",
                Target = address,
                Users = 4,
                Duration = TimeSpan.FromSeconds(2),
                OutDir = Path.Combine(_dir, "out"),
                Processes = 2,
                Redis = TestEnvironment.Redis,
                RedisPrefix = _prefix,
            },
            new LoadEnvironment { Log = TextWriter.Null, Progress = new NullProgress(), GitCommit = "test" });

        var report = outcome.Report;
        Assert.True(outcome.ExitCode == LoadRunner.ExitPassed, string.Join("; ", report.Verdict.Reasons.Concat(report.Notes)));
        Assert.Equal(2, report.Workers!.Count);
        Assert.All(report.Workers, w => Assert.True(w.Requests > 0, $"{w.Worker} sent nothing"));
        Assert.Equal(report.Workers.Sum(w => w.Requests), report.Totals.Requests);
        Assert.Equal(0, report.Totals.Errors);
        // Every answer the server gave was counted once (the probe of set-up aside: coordinator and each worker send one).
        Assert.Equal(Interlocked.Read(ref served) - 3, report.Totals.Requests);
    }

    [Fact]
    public void Multi_process_options_need_redis_and_check_the_socket_budget_per_process()
    {
        string[] args = ["run", "sockets", "--users", "30000", "--processes", "2"];
        Assert.Throws<UsageException>(() => OptionsBinder.BindRun(ArgumentTokens.Parse(args, OptionTable.Run), args));

        var sockets = FlashSale.Load.Scenarios.ScenarioRegistry.Create("sockets");
        var one = new LoadOptions { Scenario = "sockets", Users = 30_000 };
        Assert.Throws<UsageException>(() => LoadRunner.Resolve(one, sockets, []));
        var resolved = LoadRunner.Resolve(one with { Processes = 2, Redis = "127.0.0.1" }, sockets, []);
        Assert.Equal(30_000, resolved.Users);

        var plans = Coordinator.Plan(resolved with { Users = 5 }, [], null, ["a", "b"]);
        Assert.Equal([2, 3], plans.Select(p => p.Options.Users).ToArray());
        Assert.All(plans, p => Assert.Equal("", p.Options.AdminPassword));
    }

    private static LoadEnvironment Env(HttpMessageHandler handler) =>
        new() { Handler = handler, Log = TextWriter.Null, Progress = new NullProgress(), GitCommit = "test" };

    public void Dispose()
    {
        using (var redis = ConnectionMultiplexer.Connect(TestEnvironment.Redis))
        {
            redis.GetDatabase().KeyDelete(RunChannel.Announcements(_prefix));
        }

        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }
}
