using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;

namespace FlashSale.Tests.Notifications;

/// <summary>
/// Issue 16: each change of an order sends its email once, with the order's figures, through a real SMTP server; a
/// kind the shopper turned off is never sent; the one-click unsubscribe works without signing in and only with its
/// signature; nobody sees another shopper's notifications.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class NotificationEmailTests(MailApp app) : IClassFixture<MailApp>
{
    private const string GoodCard = "4242424242424242";

    private async Task<(HttpClient Client, string Email)> ShopperAsync()
    {
        var email = $"mail-{Guid.NewGuid():N}@example.com";
        var auth = await app.RegisterShopperAsync(email);
        return (app.WithToken(auth.AccessToken), email);
    }

    private static string Text(MimeMessage message) => message.TextBody!.Replace("\r\n", "\n", StringComparison.Ordinal);

    [Fact]
    public async Task A_reservation_sends_one_email_with_the_figures_the_deadline_a_link_and_a_stable_message_id()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 3, salePrice: 20m, paymentWindowSeconds: 600);
        var (client, email) = await ShopperAsync();
        var orderId = await MailApp.BuyAsync(client, saleId, 2);

        var mail = Assert.Single(await app.Sink.WaitForAsync(email, "reserved"));

        var order = await client.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}");
        var expires = order.GetProperty("expiresAt").GetDateTime().ToUniversalTime();
        Assert.StartsWith("Test Shop: Reserved: Test product, pay by ", mail.Subject, StringComparison.Ordinal);
        Assert.Contains($"{expires:yyyy-MM-dd HH:mm}", mail.Subject, StringComparison.Ordinal);
        Assert.Contains("You reserved 2 × Test product at 20.00 each, 40.00 in all.", Text(mail), StringComparison.Ordinal);
        Assert.Contains("http://shop.test/#/orders", Text(mail), StringComparison.Ordinal);
        Assert.Contains("40.00 in all.", mail.HtmlBody!, StringComparison.Ordinal);
        Assert.Contains("<a href=\"http://shop.test/#/orders\">", mail.HtmlBody, StringComparison.Ordinal);
        Assert.Equal("shop@flashsale.test", mail.From.Mailboxes.Single().Address);
        Assert.Equal($"reserved.{orderId:N}.{(await UserIdAsync(email)):N}.0@flashsale.test", mail.MessageId);
        Assert.StartsWith("<http://shop.test/api/v1/notifications/unsubscribe?user=", mail.Headers["List-Unsubscribe"], StringComparison.Ordinal);
        Assert.Equal("List-Unsubscribe=One-Click", mail.Headers["List-Unsubscribe-Post"]);
        Assert.Equal([("reserved", "sent", 1)], await app.OutboxAsync(orderId));
        client.Dispose();
    }

    [Fact]
    public async Task Paying_cancelling_and_expiring_each_send_their_email_once()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5, salePrice: 7.5m);
        var (client, email) = await ShopperAsync();
        var paid = await MailApp.BuyAsync(client, saleId, 2);
        var cancelled = await MailApp.BuyAsync(client, saleId, 1);
        var expired = await MailApp.BuyAsync(client, saleId, 1);

        (await client.PostAsJsonAsync($"/api/v1/orders/{paid}/pay", new { cardNumber = GoodCard })).EnsureSuccessStatusCode();
        (await client.PostAsync($"/api/v1/orders/{cancelled}/cancel", null)).EnsureSuccessStatusCode();
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @expired", new { expired });
        }
        await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None);
        await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None); // a second sweep adds nothing

        Assert.Contains("We received 15.00 for 2 × Test product.", Text(Assert.Single(await app.Sink.WaitForAsync(email, "paid"))), StringComparison.Ordinal);
        Assert.Contains("1 × Test product (7.50) is cancelled", Text(Assert.Single(await app.Sink.WaitForAsync(email, "cancelled"))), StringComparison.Ordinal);
        Assert.Contains("1 × Test product (7.50) was not paid by", Text(Assert.Single(await app.Sink.WaitForAsync(email, "expired"))), StringComparison.Ordinal);
        Assert.Equal(3, (await app.Sink.WaitForAsync(email, "reserved", 3)).Count);
        Assert.Equal([("reserved", "sent", 1), ("paid", "sent", 1)], await app.OutboxAsync(paid));
        Assert.Equal([("reserved", "sent", 1), ("cancelled", "sent", 1)], await app.OutboxAsync(cancelled));
        Assert.Equal([("reserved", "sent", 1), ("expired", "sent", 1)], await app.OutboxAsync(expired));

        // Paying again and cancelling again are refused or repeat the answer: no second notice.
        await client.PostAsJsonAsync($"/api/v1/orders/{paid}/pay", new { cardNumber = GoodCard });
        await client.PostAsync($"/api/v1/orders/{cancelled}/cancel", null);
        Assert.Equal(2, (await app.OutboxAsync(paid)).Count);
        Assert.Equal(2, (await app.OutboxAsync(cancelled)).Count);
        client.Dispose();
    }

    [Fact]
    public async Task A_kind_turned_off_is_skipped_and_never_sent_and_the_others_still_are()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 3);
        var (client, email) = await ShopperAsync();
        var put = await client.PutAsJsonAsync("/api/v1/auth/me/notifications", new { reserved = false });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var preferences = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(preferences.GetProperty("reserved").GetBoolean());
        Assert.True(preferences.GetProperty("paid").GetBoolean());

        var orderId = await MailApp.BuyAsync(client, saleId);
        (await client.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = GoodCard })).EnsureSuccessStatusCode();

        Assert.Single(await app.Sink.WaitForAsync(email, "paid"));
        Assert.Empty(app.Sink.For(email, "reserved"));
        Assert.Equal([("reserved", "skipped", 0), ("paid", "sent", 1)], await app.OutboxAsync(orderId));

        var back = await client.PutAsJsonAsync("/api/v1/auth/me/notifications", new { reserved = true });
        Assert.True((await back.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("reserved").GetBoolean());
        client.Dispose();
    }

    [Fact]
    public async Task The_emails_unsubscribe_link_turns_its_kind_off_without_signing_in_and_a_forged_one_changes_nothing()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 3);
        var (client, email) = await ShopperAsync();
        await MailApp.BuyAsync(client, saleId);
        var link = new Uri(Assert.Single(await app.Sink.WaitForAsync(email, "reserved")).Headers["List-Unsubscribe"]!.Trim('<', '>'));
        using var anonymous = app.Anonymous();
        var path = link.PathAndQuery;

        var forged = path.Replace("kind=reserved", "kind=paid", StringComparison.Ordinal);
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync(forged, null), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsValidationProblemAsync(await anonymous.PostAsync(path[..path.IndexOf("&sig=", StringComparison.Ordinal)], null), "sig");
        var untouched = await client.GetFromJsonAsync<JsonElement>("/api/v1/auth/me/notifications");
        Assert.True(untouched.GetProperty("reserved").GetBoolean());
        Assert.True(untouched.GetProperty("paid").GetBoolean());

        var page = await anonymous.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<form method=\"post\"", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.True((await client.GetFromJsonAsync<JsonElement>("/api/v1/auth/me/notifications")).GetProperty("reserved").GetBoolean()); // a GET changes nothing

        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(path, new StringContent("List-Unsubscribe=One-Click"))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(path, null)).StatusCode); // twice is the same
        var after = await client.GetFromJsonAsync<JsonElement>("/api/v1/auth/me/notifications");
        Assert.False(after.GetProperty("reserved").GetBoolean());
        Assert.True(after.GetProperty("paid").GetBoolean());
        client.Dispose();
    }

    [Fact]
    public async Task A_shopper_lists_only_their_own_notifications_and_dead_letters_are_for_admins()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 3);
        var (first, _) = await ShopperAsync();
        var (second, _) = await ShopperAsync();
        var orderId = await MailApp.BuyAsync(first, saleId);

        Assert.Equal(orderId, (await MailApp.WaitForListedAsync(first)).GetProperty("subjectId").GetGuid());
        Assert.Empty((await second.GetFromJsonAsync<JsonElement>("/api/v1/notifications")).EnumerateArray());
        await ProblemAssert.IsValidationProblemAsync(await first.GetAsync("/api/v1/notifications?limit=0"), "limit");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/v1/notifications")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync("/api/v1/auth/me/notifications")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await first.GetAsync("/api/v1/notifications/dead-letters")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await first.PostAsync("/api/v1/notifications/1/retry", null)).StatusCode);
        using var admin = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/api/v1/notifications/dead-letters")).StatusCode);
        first.Dispose();
        second.Dispose();
    }

    private async Task<Guid> UserIdAsync(string email)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<Guid>("select id from users where email = @email", new { email });
    }
}
