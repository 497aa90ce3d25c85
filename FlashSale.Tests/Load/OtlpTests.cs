using System.Text;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;
using FlashSale.Load.Telemetry;
using FlashSale.Load.Terminal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;

namespace FlashSale.Tests.Load;

/// <summary>
/// <c>--otlp</c> against an OTLP/HTTP receiver in this process: the real exporter posts protobuf metrics to
/// /v1/metrics while the run goes, and the last second is flushed before the run ends.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class OtlpTests
{
    [Fact]
    public async Task A_run_with_otlp_pushes_its_live_figures_to_the_collector()
    {
        await using var collector = await Collector.StartAsync();
        using var host = new FakeFlashSaleHost();

        var outcome = await LoadRunner.RunAsync(
            new LoadOptions { Scenario = "baseline", Users = 2, Duration = TimeSpan.FromSeconds(2), WriteReports = false, Otlp = collector.Uri },
            new LoadEnvironment { Handler = host, Log = TextWriter.Null, Progress = new NullProgress(), GitCommit = "test" });

        Assert.Equal(LoadRunner.ExitPassed, outcome.ExitCode);
        Assert.NotEmpty(collector.Posts);
        Assert.All(collector.Posts, p => Assert.Equal("application/x-protobuf", p.ContentType));
        var all = collector.AllText();
        foreach (var expected in new[] { "flashsale.load.requests", "flashsale.load.latency", "flashsale.load.throughput", "live", "flashsale-load", "baseline" })
        {
            Assert.Contains(expected, all, StringComparison.Ordinal);
        }
        Assert.True(outcome.Report.Options.ContainsKey("otlp"), "the report says where the figures went");
    }

    [Fact]
    public async Task The_final_flush_carries_the_latency_of_the_last_second_that_had_answers()
    {
        // A run's closing second is partial and often has no answers at all (CI saw the latency missing from every
        // post once): the latency gauge keeps each step's last measured second instead of going empty.
        await using var collector = await Collector.StartAsync();
        var progress = new OtlpProgress(new NullProgress(), new LoadOptions { Scenario = "baseline" }, collector.Uri);

        await progress.RunAsync(report =>
        {
            report(Snapshot(new TimeSeriesPoint(1, "live", 100, 100, 0, 0, 100, 1, 2, 3, 4, false)));
            report(Snapshot(new TimeSeriesPoint(2, "live", 0, 0, 0, 0, 0, 0, 0, 0, 0, false)));
            return Task.CompletedTask;
        });
        progress.Dispose();

        Assert.Contains("flashsale.load.latency", collector.AllText(), StringComparison.Ordinal);
    }

    private static ProgressSnapshot Snapshot(TimeSeriesPoint point) =>
        new(TimeSpan.FromSeconds(point.Second), TimeSpan.FromSeconds(2), "measure", 2, point.Rps, point.P99Ms, point.Count, 0, [point]);

    /// <summary>An OTLP/HTTP receiver in this process that keeps every metrics post.</summary>
    private sealed class Collector : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Collector(WebApplication app) => _app = app;

        public System.Collections.Concurrent.ConcurrentQueue<(string ContentType, byte[] Body)> Posts { get; } = new();

        public Uri Uri => new(_app.Urls.First());

        // Protobuf keeps strings as UTF-8 bytes: the metric names, the step and the resource are readable in the payload.
        public string AllText() => Encoding.UTF8.GetString(Posts.SelectMany(p => p.Body).ToArray());

        public static async Task<Collector> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var collector = new Collector(builder.Build());
            collector._app.MapPost("/v1/metrics", async (HttpRequest request) =>
            {
                using var body = new MemoryStream();
                await request.Body.CopyToAsync(body);
                collector.Posts.Enqueue((request.ContentType ?? "", body.ToArray()));
                return Results.Ok();
            });
            await collector._app.StartAsync();
            return collector;
        }

        public ValueTask DisposeAsync() => _app.DisposeAsync();
    }

    [Theory]
    [InlineData("http://collector:4318", "http://collector:4318/v1/metrics", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("http://collector:4318/custom/metrics", "http://collector:4318/custom/metrics", OtlpExportProtocol.HttpProtobuf)]
    [InlineData("http://collector:4317", "http://collector:4317/", OtlpExportProtocol.Grpc)]
    [InlineData("grpc://collector:9000", "http://collector:9000/", OtlpExportProtocol.Grpc)]
    public void The_endpoint_picks_the_protocol(string given, string endpoint, OtlpExportProtocol protocol)
    {
        var (uri, chosen) = OtlpProgress.Endpoint(new Uri(given));

        Assert.Equal(endpoint, uri.ToString());
        Assert.Equal(protocol, chosen);
    }

    [Fact]
    public void Otlp_takes_an_endpoint_url()
    {
        string[] ok = ["run", "baseline", "--otlp", "http://127.0.0.1:4318"];
        Assert.Equal(new Uri("http://127.0.0.1:4318"), OptionsBinder.BindRun(ArgumentTokens.Parse(ok, OptionTable.Run), ok).Otlp);
        string[] bad = ["run", "baseline", "--otlp", "collector"];
        Assert.Throws<UsageException>(() => OptionsBinder.BindRun(ArgumentTokens.Parse(bad, OptionTable.Run), bad));
    }
}
