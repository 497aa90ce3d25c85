using System.Text;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
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
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        await using var collector = builder.Build();
        var posts = new System.Collections.Concurrent.ConcurrentQueue<(string ContentType, byte[] Body)>();
        collector.MapPost("/v1/metrics", async (HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            posts.Enqueue((request.ContentType ?? "", body.ToArray()));
            return Results.Ok();
        });
        await collector.StartAsync();
        using var host = new FakeFlashSaleHost();

        var outcome = await LoadRunner.RunAsync(
            new LoadOptions { Scenario = "baseline", Users = 2, Duration = TimeSpan.FromSeconds(2), WriteReports = false, Otlp = new Uri(collector.Urls.First()) },
            new LoadEnvironment { Handler = host, Log = TextWriter.Null, Progress = new NullProgress(), GitCommit = "test" });

        Assert.Equal(LoadRunner.ExitPassed, outcome.ExitCode);
        Assert.NotEmpty(posts);
        Assert.All(posts, p => Assert.Equal("application/x-protobuf", p.ContentType));
        // Protobuf keeps strings as UTF-8 bytes: the metric names, the step and the resource are readable in the payload.
        var all = Encoding.UTF8.GetString(posts.SelectMany(p => p.Body).ToArray());
        foreach (var expected in new[] { "flashsale.load.requests", "flashsale.load.latency", "flashsale.load.throughput", "live", "flashsale-load", "baseline" })
        {
            Assert.Contains(expected, all, StringComparison.Ordinal);
        }
        Assert.True(outcome.Report.Options.ContainsKey("otlp"), "the report says where the figures went");
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
