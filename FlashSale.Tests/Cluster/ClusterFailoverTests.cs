using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Dapper;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Purchases;
using Xunit.Abstractions;

namespace FlashSale.Tests.Cluster;

[Trait("Category", TestCategory.Chaos)]
public sealed class ClusterFailoverTests(ThreeHostsOnReplicatedCluster cluster, ITestOutputHelper output) : IClassFixture<ThreeHostsOnReplicatedCluster>
{
    [Fact]
    public async Task Killing_the_primary_of_a_sale_mid_storm_loses_no_confirmed_order_and_its_replica_takes_over()
    {
        const int Stock = 100_000, Shoppers = 48, Limit = 1_000;
        var hosts = cluster.Hosts;
        var sale = await hosts[0].CreateSaleAsync(Stock, perUserLimit: Limit);
        var keys = RedisSaleKeys.For(sale);
        var shoppers = await hosts[0].BulkShoppersAsync(Shoppers);
        var clients = shoppers.Select((s, i) => hosts[i % 3].WithToken(s.AccessToken)).ToArray();
        using (var warmUp = await clients[0].BuyAsync(sale, 1, "warm-up"))
        {
            Assert.Equal(HttpStatusCode.Created, warmUp.StatusCode); // the sale's state now lives on its primary
        }
        var primary = ((IPEndPoint)cluster.Multiplexer.GetServer(keys.Meta).EndPoint).Port;

        var answers = new ConcurrentQueue<(long AtMs, HttpStatusCode Status, string Body)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        long killedAtMs = -1;
        var storm = Task.WhenAll(clients.Select((client, c) => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                using var response = await client.BuyAsync(sale, 1, $"{c}-{n}");
                answers.Enqueue((clock.ElapsedMilliseconds, response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None)));
                if (response.StatusCode != HttpStatusCode.Created)
                {
                    await Task.Delay(20);
                }
            }
        })));

        await Task.Delay(1_500);
        cluster.Redis.Kill(primary);
        killedAtMs = clock.ElapsedMilliseconds;
        // Sell on until purchases have been confirmed again for a while after the failover (or give up).
        while (clock.ElapsedMilliseconds < killedAtMs + 30_000
               && answers.Count(a => a.AtMs > killedAtMs && a.Status == HttpStatusCode.Created) < 200)
        {
            await Task.Delay(100);
        }
        await stop.CancelAsync();
        await storm;

        var after = answers.Where(a => a.AtMs > killedAtMs).ToList();
        var resumedAtMs = after.Where(a => a.Status == HttpStatusCode.Created).Select(a => a.AtMs).DefaultIfEmpty(-1).Min();
        Assert.True(resumedAtMs > 0, "no purchase was confirmed within 30 s of killing the sale's primary");
        var newPrimary = ((IPEndPoint)cluster.Multiplexer.GetServer(keys.Meta).EndPoint).Port;
        Assert.NotEqual(primary, newPrimary);
        // While the shard had no primary, a purchase is refused 503, never answered 500 or left hanging.
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a =>
            Assert.True(a.Status == HttpStatusCode.ServiceUnavailable, $"{a.Status}: {a.Body}"));

        // Every confirmed order is in PostgreSQL: a 201 waits for the commit, whatever Redis later forgets.
        var confirmed = answers.Where(a => a.Status == HttpStatusCode.Created)
            .Select(a => JsonDocument.Parse(a.Body).RootElement.GetProperty("id").GetGuid()).ToHashSet();
        await using var connection = await hosts[0].Database.DataSource.OpenConnectionAsync();
        var stored = (await connection.QueryAsync<Guid>("select id from orders where flash_sale_id = @sale", new { sale })).ToHashSet();
        Assert.Subset(stored, confirmed.ToHashSet());

        // What the promoted replica did not receive: asynchronous replication lets a primary answer a Lua call (and so the
        // host commit and answer 201) before its replica has the write. Those decisions are missing from the new
        // primary's stock counter. Reported, and bounded below by zero: Redis never counts a sale PostgreSQL lacks
        // once the reconciler ran (orders left in the stream are written by it).
        await Task.Delay(TimeSpan.FromSeconds(8)); // a reconciler pass (every 5 s) picks up the stream's leftovers
        var units = await connection.ExecuteScalarAsync<long>(
            "select coalesce(sum(quantity), 0) from orders where flash_sale_id = @sale and status in ('reserved', 'paid')", new { sale });
        var soldInRedis = Stock - (long)await cluster.Multiplexer.GetDatabase().StringGetAsync(keys.Stock);
        output.WriteLine($"primary {primary} killed at {killedAtMs} ms; replica {newPrimary} confirmed again after {resumedAtMs - killedAtMs} ms; "
            + $"{confirmed.Count} orders confirmed, {units} units in PostgreSQL, {soldInRedis} sold according to the promoted replica "
            + $"(forgotten by the failover: {units - soldInRedis})");
        Assert.True(units >= soldInRedis, $"Redis counts {soldInRedis} units sold, PostgreSQL holds {units}");
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
