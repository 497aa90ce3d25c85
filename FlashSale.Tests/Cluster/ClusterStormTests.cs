using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Dapper;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Purchases;

namespace FlashSale.Tests.Cluster;

[Trait("Category", TestCategory.Chaos)]
[Collection(ThreePrimariesGroup.Name)]
public sealed class ClusterStormTests(ThreeHostsOnThreePrimaries cluster)
{
    [Fact]
    public async Task Three_hosts_on_three_primaries_sell_exactly_the_stock_of_30_sales_with_limits_and_idempotency_holding()
    {
        const int Sales = 30, Stock = 12, Limit = 2, Users = 150, Requests = 2_400;
        var hosts = cluster.Hosts;
        var sales = new Guid[Sales];
        for (var s = 0; s < Sales; s++)
        {
            sales[s] = await hosts[s % 3].CreateSaleAsync(Stock, Limit);
        }
        // The sales' hash tags must land on every primary, or this would test one shard three times.
        var primaries = sales.Select(s => cluster.Multiplexer.GetServer(RedisSaleKeys.For(s).Meta).EndPoint.ToString()).Distinct().Count();
        Assert.Equal(3, primaries);

        var shoppers = await hosts[0].BulkShoppersAsync(Users);
        var clients = hosts.Select(h => shoppers.Select(s => h.WithToken(s.AccessToken)).ToArray()).ToArray();
        var random = new Random(14);
        var clicks = Enumerable.Range(0, Requests / 2).Select(_ => (User: random.Next(Users), Sale: sales[random.Next(Sales)], Quantity: 1 + random.Next(2)))
            .ToArray();
        var answers = new ConcurrentBag<(int Request, Guid User, Guid Sale, string Key, HttpStatusCode Status, string Body)>();

        // Requests 2k and 2k+1 are one click sent twice (same shopper, sale and Idempotency-Key) through two different
        // hosts at the same moment, as a retry through a load balancer would be.
        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 192 }, async (i, _) =>
        {
            var (user, sale, quantity) = clicks[i / 2];
            var key = $"click-{i / 2}";
            var response = await clients[i % 3][user].BuyAsync(sale, quantity, key);
            answers.Add((i, shoppers[user].Id, sale, key, response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None)));
        });

        // A 503 is the engine refusing safely; the hosts' logs say which dependency failed, so print them with it.
        Assert.All(answers, a => Assert.True(a.Status is HttpStatusCode.Created or HttpStatusCode.Conflict,
            $"{a.Status}: {a.Body}\n{string.Join("\n", hosts.Select(h => h.Log.Tail(15)))}"));
        Assert.All(answers.Where(a => a.Status == HttpStatusCode.Conflict), a =>
        {
            var type = JsonDocument.Parse(a.Body).RootElement.GetProperty("type").GetString()!;
            Assert.True(type.EndsWith("/sold-out", StringComparison.Ordinal) || type.EndsWith("/limit-reached", StringComparison.Ordinal), type);
        });
        // Idempotency: both copies of a click got the same answer, and an accepted click is one order.
        Assert.All(answers.GroupBy(a => a.Key), click =>
        {
            var pair = click.ToArray();
            Assert.Equal(2, pair.Length);
            Assert.Equal(pair[0].Status, pair[1].Status);
            if (pair[0].Status == HttpStatusCode.Created)
            {
                Assert.Equal(OrderId(pair[0].Body), OrderId(pair[1].Body));
            }
        });

        var created = answers.Where(a => a.Status == HttpStatusCode.Created).DistinctBy(a => a.Key)
            .Select(a => (a.User, a.Sale, Id: OrderId(a.Body), Quantity: JsonDocument.Parse(a.Body).RootElement.GetProperty("quantity").GetInt32()))
            .ToList();
        Assert.All(sales, s => Assert.Equal(Stock, created.Where(c => c.Sale == s).Sum(c => c.Quantity)));
        Assert.All(created.GroupBy(c => (c.User, c.Sale)), g => Assert.InRange(g.Sum(c => c.Quantity), 1, Limit));

        await using var connection = await hosts[0].Database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(Guid Id, Guid UserId, Guid SaleId, int Quantity)>(
            "select id, user_id, flash_sale_id, quantity from orders where flash_sale_id = any(@sales)", new { sales })).ToList();
        Assert.Equal(created.Select(c => c.Id).Order(), rows.Select(r => r.Id).Order());
        Assert.All(sales, s => Assert.Equal(Stock, rows.Where(r => r.SaleId == s).Sum(r => r.Quantity)));
        foreach (var sale in sales)
        {
            Assert.Equal(0, (int)await cluster.Multiplexer.GetDatabase().StringGetAsync(RedisSaleKeys.For(sale).Stock));
        }
        foreach (var client in clients.SelectMany(c => c))
        {
            client.Dispose();
        }
    }

    private static Guid OrderId(string body) => JsonDocument.Parse(body).RootElement.GetProperty("id").GetGuid();
}
