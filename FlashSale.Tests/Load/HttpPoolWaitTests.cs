using System.Net;
using System.Net.Sockets;
using System.Text;
using FlashSale.Load.Api;
using FlashSale.Load.Stats;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class HttpPoolWaitTests
{
    [Fact]
    public async Task A_request_that_waits_for_the_only_pooled_connection_is_counted_with_its_wait()
    {
        var stats = new StatsCollector();
        using (var poolWait = new HttpPoolWait(stats))
        {
            await TwoRequestsOnOneSlowConnectionAsync(poolWait);
        }

        stats.Tick(1, 1, measured: true);
        var wait = stats.Finish().Find(HttpPoolWait.StepName);
        Assert.NotNull(wait);
        var summary = LatencySummary.From(wait.All);
        Assert.True(summary.Count >= 1, "the second request waited for the connection");
        Assert.True(summary.MaxMs >= 200, $"its wait is the first answer's delay: {summary.MaxMs} ms");
    }

    [Fact]
    public async Task Requests_of_another_pool_are_not_counted()
    {
        var stats = new StatsCollector();
        using (new HttpPoolWait(stats))
        {
            await TwoRequestsOnOneSlowConnectionAsync(meters: null);
        }

        stats.Tick(1, 1, measured: true);
        Assert.Null(stats.Finish().Find(HttpPoolWait.StepName));
    }

    /// <summary>Two requests at once through a pool of one connection to a server that answers each 300 ms late.</summary>
    private static async Task TwoRequestsOnOneSlowConnectionAsync(System.Diagnostics.Metrics.IMeterFactory? meters)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var serving = ServeSlowlyAsync(server, stop.Token);
        using (var http = HttpFactory.CreateClient(HttpFactory.CreateHandler(maxConnections: 1, meters), disposeHandler: true,
                   new Uri($"http://127.0.0.1:{port}"), TimeSpan.FromSeconds(10)))
        {
            var first = http.GetAsync("/a", stop.Token);
            var second = http.GetAsync("/b", stop.Token);
            (await first).EnsureSuccessStatusCode();
            (await second).EnsureSuccessStatusCode();
        }

        await stop.CancelAsync();
        await serving;
    }

    private static async Task ServeSlowlyAsync(TcpListener server, CancellationToken ct)
    {
        try
        {
            using var client = await server.AcceptTcpClientAsync(ct);
            var stream = client.GetStream();
            var buffer = new byte[4096];
            var pending = new StringBuilder();
            while (!ct.IsCancellationRequested)
            {
                var read = await stream.ReadAsync(buffer, ct);
                if (read == 0)
                {
                    return;
                }
                pending.Append(Encoding.ASCII.GetString(buffer, 0, read));
                while (pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                {
                    pending.Remove(0, end + 4);
                    await Task.Delay(300, ct);
                    await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"u8.ToArray(), ct);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
