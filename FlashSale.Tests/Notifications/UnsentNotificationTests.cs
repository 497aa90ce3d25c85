using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

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

        // The feeder queues it within a period (500 ms here); a dispatcher would have sent it in the next one.
        var item = await MailApp.WaitForListedAsync(client);
        await Task.Delay(500);
        item = Assert.Single((await client.GetFromJsonAsync<JsonElement>("/api/v1/notifications")).EnumerateArray());
        Assert.Equal("reserved", item.GetProperty("kind").GetString());
        Assert.Equal(orderId, item.GetProperty("subjectId").GetGuid());
        Assert.Equal("pending", item.GetProperty("state").GetString());
        Assert.Equal(0, item.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task One_sweep_expires_many_reservations_with_one_expired_notice_each_for_its_shopper_and_a_second_sweep_adds_none()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 40, perUserLimit: 1);
        var expected = new List<(Guid UserId, Guid OrderId)>();
        foreach (var shopper in await app.BulkShoppersAsync(30))
        {
            using var client = app.WithToken(shopper.AccessToken);
            expected.Add((shopper.Id, await MailApp.BuyAsync(client, saleId)));
        }
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where flash_sale_id = @saleId", new { saleId });
        var sweeper = app.Services.GetRequiredService<OrderExpirySweeper>();

        await sweeper.SweepOnceAsync(CancellationToken.None);
        await sweeper.SweepOnceAsync(CancellationToken.None);

        var notices = (await connection.QueryAsync<(Guid, Guid)>(
            """
            select n.user_id, n.subject_id from notification_outbox n join orders o on o.id = n.subject_id
            where o.flash_sale_id = @saleId and n.kind = 'expired' and n.state = 'pending' order by n.subject_id
            """, new { saleId })).AsList();
        Assert.Equal(expected.OrderBy(e => e.OrderId).ToList(), notices);
        Assert.Equal(30, await connection.ExecuteScalarAsync<int>(
            "select count(*)::int from orders where flash_sale_id = @saleId and status = 'expired'", new { saleId }));
    }
}

/// <summary>A host with notifications switched off (the A/B switch of the purchase path).</summary>
public sealed class NotificationsOffApp : FlashSaleApp
{
    public NotificationsOffApp() => Settings["Notify:Enabled"] = "false";
}

/// <summary>Issue 16: Notify:Enabled=false writes no outbox row anywhere, not even in the journal's commit or the expiry.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class NotificationsOffTests(NotificationsOffApp app) : IClassFixture<NotificationsOffApp>
{
    [Fact]
    public async Task With_notifications_off_buying_paying_cancelling_and_expiring_write_no_notification()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 3);
        using var client = await app.ShopperAsync();
        var paid = await MailApp.BuyAsync(client, saleId);
        var cancelled = await MailApp.BuyAsync(client, saleId);
        var expired = await MailApp.BuyAsync(client, saleId);

        (await client.PostAsJsonAsync($"/api/v1/orders/{paid}/pay", new { cardNumber = "4242424242424242" })).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/v1/orders/{cancelled}/cancel", null)).EnsureSuccessStatusCode();

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @expired", new { expired });
        await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None);
        Assert.Equal("expired", await connection.ExecuteScalarAsync<string>("select status from orders where id = @expired", new { expired }));
        Assert.Equal(3, await connection.ExecuteScalarAsync<int>("select count(*)::int from orders where flash_sale_id = @saleId", new { saleId }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*)::int from notification_outbox"));
    }
}
