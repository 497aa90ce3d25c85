using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Notifications;

/// <summary>Issue 16: without a mail server the notifications are recorded and their shopper sees them; nothing is sent.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class UnsentNotificationTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Without_Email_Smtp_Host_a_reservation_is_recorded_pending_and_listed_for_its_shopper()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var client = await app.ShopperAsync();
        var orderId = await MailApp.BuyAsync(client, saleId);
        await Task.Delay(500); // a dispatcher would have sent it by now

        var item = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/notifications")).EnumerateArray());
        Assert.Equal("reserved", item.GetProperty("kind").GetString());
        Assert.Equal(orderId, item.GetProperty("subjectId").GetGuid());
        Assert.Equal("pending", item.GetProperty("state").GetString());
        Assert.Equal(0, item.GetProperty("attempts").GetInt32());
    }
}

/// <summary>A host with notifications switched off (the A/B switch of the purchase path).</summary>
public sealed class NotificationsOffApp : FlashSaleApp
{
    public NotificationsOffApp() => Settings["Notify:Enabled"] = "false";
}

/// <summary>Issue 16: Notify:Enabled=false writes no outbox row anywhere, not even in the journal's commit.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class NotificationsOffTests(NotificationsOffApp app) : IClassFixture<NotificationsOffApp>
{
    [Fact]
    public async Task With_notifications_off_buying_paying_and_cancelling_write_no_notification()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2);
        using var client = await app.ShopperAsync();
        var paid = await MailApp.BuyAsync(client, saleId);
        var cancelled = await MailApp.BuyAsync(client, saleId);

        (await client.PostAsJsonAsync($"/api/v1/orders/{paid}/pay", new { cardNumber = "4242424242424242" })).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/v1/orders/{cancelled}/cancel", null)).EnsureSuccessStatusCode();

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(2, await connection.ExecuteScalarAsync<int>("select count(*)::int from orders where flash_sale_id = @saleId", new { saleId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*)::int from notification_outbox"));
    }
}
