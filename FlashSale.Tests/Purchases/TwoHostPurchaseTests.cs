using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;

namespace FlashSale.Tests.Purchases;

[Trait("Category", TestCategory.Integration)]
public sealed class TwoHostPurchaseTests(TwoHosts hosts) : IClassFixture<TwoHosts>
{
    [Fact]
    public async Task Two_hosts_sell_exactly_the_stock_to_a_storm_and_every_201_is_in_postgres()
    {
        const int Stock = 300, Limit = 2, Users = 500, Requests = 2_000;
        var saleId = await hosts.First.CreateSaleAsync(Stock, Limit);
        var shoppers = await hosts.First.BulkShoppersAsync(Users);
        var clients = shoppers.Select((s, i) => (s.Id, Client: (i % 2 == 0 ? hosts.First : hosts.Second).WithToken(s.AccessToken))).ToArray();
        var answers = new ConcurrentBag<(Guid User, HttpStatusCode Status, string Body)>();

        await Parallel.ForEachAsync(Enumerable.Range(0, Requests), new ParallelOptions { MaxDegreeOfParallelism = 256 }, async (i, _) =>
        {
            var (user, client) = clients[i % Users];
            var response = await client.BuyAsync(saleId, 1 + (i % 2), $"storm-{i}");
            answers.Add((user, response.StatusCode, await response.Content.ReadAsStringAsync(CancellationToken.None)));
        });

        var created = answers.Where(a => a.Status == HttpStatusCode.Created)
            .Select(a => (a.User, Order: JsonDocument.Parse(a.Body).RootElement)).ToList();
        var refusals = answers.Where(a => a.Status != HttpStatusCode.Created).ToList();
        Assert.All(refusals, r =>
        {
            Assert.Equal(HttpStatusCode.Conflict, r.Status);
            var type = JsonDocument.Parse(r.Body).RootElement.GetProperty("type").GetString();
            Assert.True(type!.EndsWith("/sold-out", StringComparison.Ordinal) || type.EndsWith("/limit-reached", StringComparison.Ordinal), type);
        });
        Assert.Equal(Stock, created.Sum(c => c.Order.GetProperty("quantity").GetInt32()));
        Assert.All(created.GroupBy(c => c.User), g => Assert.InRange(g.Sum(c => c.Order.GetProperty("quantity").GetInt32()), 1, Limit));
        Assert.All(created, c => Assert.Equal(c.User, c.Order.GetProperty("userId").GetGuid()));

        await using var connection = await hosts.First.Database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(Guid Id, Guid UserId, int Quantity)>(
            "select id, user_id, quantity from orders where flash_sale_id = @saleId", new { saleId })).ToList();
        Assert.Equal(Stock, rows.Sum(r => r.Quantity));
        Assert.Equal(created.Select(c => c.Order.GetProperty("id").GetGuid()).Order(), rows.Select(r => r.Id).Order());
        Assert.All(rows.GroupBy(r => r.UserId), g => Assert.InRange(g.Sum(r => r.Quantity), 1, Limit));

        using var anonymous = hosts.Second.Anonymous();
        await Task.Delay(150); // the sale's remaining stock is cached for up to 100 ms
        var sale = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}");
        Assert.Equal(0, sale.GetProperty("remainingStock").GetInt32());
        Assert.Equal("sold_out", sale.GetProperty("status").GetString());
        foreach (var (_, client) in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task One_key_fired_twenty_times_at_both_hosts_makes_one_order_and_twenty_identical_answers()
    {
        var saleId = await hosts.First.CreateSaleAsync(totalStock: 50, perUserLimit: 5);
        var shopper = (await hosts.First.BulkShoppersAsync(1))[0];
        using var one = hosts.First.WithToken(shopper.AccessToken);
        using var two = hosts.Second.WithToken(shopper.AccessToken);

        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(async i =>
        {
            var response = await (i % 2 == 0 ? one : two).BuyAsync(saleId, 2, "same-click-1");
            return (response.StatusCode, Body: await response.Content.ReadAsStringAsync());
        }));

        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Created, a.StatusCode));
        Assert.Single(answers.Select(a => a.Body).Distinct());
        await using var connection = await hosts.First.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from orders where flash_sale_id = @saleId", new { saleId }));
    }
}
