using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Orders;

/// <summary>Issue 9 defect 8: a replayed Idempotency-Key answers the order's current status, not the "reserved" it first had.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReplayAfterOrderEndedTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Theory]
    [InlineData("cancel", "cancelled")]
    [InlineData("pay", "paid")]
    public async Task A_replayed_key_answers_the_orders_status_now(string action, string status)
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var shopper = await app.ShopperAsync();
        var first = await shopper.BuyAsync(saleId, 2, $"replay-after-{action}");
        var orderId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        (await (action == "pay"
            ? shopper.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = "4242424242424242" })
            : shopper.PostAsync($"/api/v1/orders/{orderId}/cancel", null))).EnsureSuccessStatusCode();

        var replay = await shopper.BuyAsync(saleId, 2, $"replay-after-{action}");

        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        var order = await replay.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(orderId, order.GetProperty("id").GetGuid());
        Assert.Equal(status, order.GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_replayed_key_after_expiry_answers_expired()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var shopper = await app.ShopperAsync();
        var first = await shopper.BuyAsync(saleId, 1, "replay-after-expiry");
        var orderId = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @orderId", new { orderId });
        }
        await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None);

        var replay = await shopper.BuyAsync(saleId, 1, "replay-after-expiry");

        Assert.Equal(HttpStatusCode.Created, replay.StatusCode);
        Assert.Equal("expired", (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }
}
