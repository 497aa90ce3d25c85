using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Purchases;

[Trait("Category", TestCategory.Integration)]
public sealed class PurchaseApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private async Task<int> OrderCountAsync(Guid saleId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>("select count(*) from orders where flash_sale_id = @saleId", new { saleId });
    }

    [Fact]
    public async Task A_purchase_returns_the_reserved_order_committed_in_postgres()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 3, salePrice: 12.5m, paymentWindowSeconds: 300);
        var shopper = await app.RegisterShopperAsync();
        using var client = app.WithToken(shopper.AccessToken);

        var response = await client.BuyAsync(saleId, 2, "k-1");

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var order = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = order.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/orders/{id}", response.Headers.Location?.OriginalString);
        Assert.Equal(saleId, order.GetProperty("flashSaleId").GetGuid());
        Assert.Equal(shopper.User.Id, order.GetProperty("userId").GetGuid());
        Assert.Equal(2, order.GetProperty("quantity").GetInt32());
        Assert.Equal("12.50", order.GetProperty("unitPrice").GetRawText());
        Assert.Equal("25.00", order.GetProperty("totalPrice").GetRawText());
        Assert.Equal("reserved", order.GetProperty("status").GetString());
        Assert.Equal(TimeSpan.FromSeconds(300), order.GetProperty("expiresAt").GetDateTime() - order.GetProperty("createdAt").GetDateTime());

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var row = await connection.QuerySingleAsync<(int Quantity, string Status, string Key, decimal Total)>(
            "select quantity, status, idempotency_key, total_price from orders where id = @id", new { id });
        Assert.Equal((2, "reserved", "k-1", 25.00m), row);
        await Task.Delay(150); // the sale's remaining stock is cached for up to 100 ms
        var sale = await client.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}");
        Assert.Equal(8, sale.GetProperty("remainingStock").GetInt32());
    }

    [Fact]
    public async Task Sold_out_and_limit_reached_are_409_problems_and_make_no_order()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 2);
        using var first = await app.ShopperAsync();
        using var second = await app.ShopperAsync();
        Assert.Equal(HttpStatusCode.Created, (await first.BuyAsync(saleId, 2, "a")).StatusCode);

        var limit = await first.BuyAsync(saleId, 1, "b");
        await ProblemAssert.IsProblemAsync(limit, HttpStatusCode.Conflict, "limit-reached");
        var soldOut = await second.BuyAsync(saleId, 2, "c");
        await ProblemAssert.IsProblemAsync(soldOut, HttpStatusCode.Conflict, "sold-out");
        Assert.Equal(HttpStatusCode.Created, (await second.BuyAsync(saleId, 1, "d")).StatusCode);
        await ProblemAssert.IsProblemAsync(await second.BuyAsync(saleId, 1, "e"), HttpStatusCode.Conflict, "sold-out");

        Assert.Equal(2, await OrderCountAsync(saleId));
        await Task.Delay(150); // the sale's remaining stock is cached for up to 100 ms
        var sale = await first.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}");
        Assert.Equal("sold_out", sale.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_sale_that_has_not_started_refuses_with_sale_not_active()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 1, startsAt: DateTimeOffset.UtcNow.AddHours(1), endsAt: DateTimeOffset.UtcNow.AddHours(2));
        using var client = await app.ShopperAsync();

        await ProblemAssert.IsProblemAsync(await client.BuyAsync(saleId, 1, "early"), HttpStatusCode.Conflict, "sale-not-active");
        Assert.Equal(0, await OrderCountAsync(saleId));
    }

    [Theory]
    [InlineData(0, "k", "quantity")]
    [InlineData(-1, "k", "quantity")]
    [InlineData(1, null, "Idempotency-Key")]
    [InlineData(1, "", "Idempotency-Key")]
    [InlineData(1, "has space", "Idempotency-Key")]
    [InlineData(1, "x123456789x123456789x123456789x123456789x123456789x123456789x1234", "Idempotency-Key")]
    public async Task Bad_quantity_or_idempotency_key_is_a_400_and_buys_nothing(int quantity, string? key, string field)
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 3);
        using var client = await app.ShopperAsync();

        await ProblemAssert.IsValidationProblemAsync(await client.BuyAsync(saleId, quantity, key), field);
        Assert.Equal(0, await OrderCountAsync(saleId));
    }

    [Fact]
    public async Task Unknown_sale_is_404_and_no_token_is_401()
    {
        using var client = await app.ShopperAsync();
        await ProblemAssert.IsProblemAsync(await client.BuyAsync(Guid.NewGuid(), 1, "k"), HttpStatusCode.NotFound, "not-found");
        using var anonymous = app.Anonymous();
        await ProblemAssert.IsProblemAsync(await anonymous.BuyAsync(Guid.NewGuid(), 1, "k"), HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Malformed_purchase_body_is_a_400_problem()
    {
        using var client = await app.ShopperAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = new StringContent("{\"quantity\":\"two\"}", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("Idempotency-Key", "k");
        await ProblemAssert.IsProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "malformed-request");
    }

    [Fact]
    public async Task The_same_key_replays_the_same_answer_and_another_shopper_with_that_key_gets_their_own()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2);
        using var alice = await app.ShopperAsync();
        using var bob = await app.ShopperAsync();

        var first = await alice.BuyAsync(saleId, 1, "click-1");
        var again = await alice.BuyAsync(saleId, 1, "click-1");
        var bobs = await bob.BuyAsync(saleId, 1, "click-1");

        Assert.Equal(HttpStatusCode.Created, again.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await again.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Created, bobs.StatusCode);
        Assert.Equal(2, await OrderCountAsync(saleId));
    }
}

/// <summary>A host without Redis: the engine's in-process authority decides stock.</summary>
public sealed class SingleNodeApp : FlashSaleApp
{
    public SingleNodeApp()
    {
        Settings["ConnectionStrings:Redis"] = "";
        Settings["PurchasePath:Mode"] = "SingleHost";
    }
}

[Trait("Category", TestCategory.Integration)]
public sealed class SingleNodePurchaseTests(SingleNodeApp app) : IClassFixture<SingleNodeApp>
{
    [Fact]
    public async Task Without_redis_one_host_still_sells_exactly_the_stock_within_the_limit()
    {
        const int Stock = 100, Limit = 2;
        var saleId = await app.CreateSaleAsync(Stock, Limit);
        var shoppers = await app.BulkShoppersAsync(150);
        var answers = new System.Collections.Concurrent.ConcurrentBag<(Guid User, HttpStatusCode Status, int Quantity)>();

        await Parallel.ForEachAsync(Enumerable.Range(0, 600), new ParallelOptions { MaxDegreeOfParallelism = 128 }, async (i, _) =>
        {
            var shopper = shoppers[i % shoppers.Count];
            using var client = app.WithToken(shopper.AccessToken);
            var response = await client.BuyAsync(saleId, 1, $"k-{i}");
            answers.Add((shopper.Id, response.StatusCode, response.StatusCode == HttpStatusCode.Created ? 1 : 0));
        });

        Assert.Equal(Stock, answers.Sum(a => a.Quantity));
        Assert.All(answers.GroupBy(a => a.User), g => Assert.True(g.Sum(a => a.Quantity) <= Limit));
        Assert.All(answers.Where(a => a.Status != HttpStatusCode.Created), a => Assert.Equal(HttpStatusCode.Conflict, a.Status));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(Stock, await connection.ExecuteScalarAsync<int>("select sum(quantity) from orders where flash_sale_id = @saleId", new { saleId }));
        using var anonymous = app.Anonymous();
        var health = await anonymous.GetFromJsonAsync<JsonElement>("/health");
        Assert.Equal("not_configured", health.GetProperty("redis").GetString());
    }
}
