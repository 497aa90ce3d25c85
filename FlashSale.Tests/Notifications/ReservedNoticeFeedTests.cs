using System.Net.Http.Json;
using Dapper;
using FlashSale.Host.Notifications;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Notifications;

/// <summary>A host whose feeder of reservation notices runs once at start and then only when a test calls it.</summary>
public sealed class SlowFeedApp : FlashSaleApp
{
    public SlowFeedApp() => Settings["Notify:PollMilliseconds"] = "60000";
}

/// <summary>
/// Issue 16 follow-up: a purchase's commit writes no outbox row, the feeder queues the reservation's notice from the
/// order afterwards, and a change of the order before the feeder's pass queues "reserved" ahead of its own notice,
/// which the feeder then does not repeat.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReservedNoticeFeedTests(SlowFeedApp app) : IClassFixture<SlowFeedApp>
{
    private async Task<List<string>> KindsAsync(Guid orderId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<string>("select kind from notification_outbox where subject_id = @orderId order by id", new { orderId })).AsList();
    }

    private Task<int> FeedAsync() => app.Services.GetRequiredService<ReservedNoticeFeeder>().FeedOnceAsync(CancellationToken.None);

    [Fact]
    public async Task A_purchase_commits_no_outbox_row_the_feeder_queues_its_notice_and_paying_first_queues_reserved_before_paid_once()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 3);
        using var client = await app.ShopperAsync();
        var fed = await MailApp.BuyAsync(client, saleId);
        var paidFirst = await MailApp.BuyAsync(client, saleId);

        Assert.Empty(await KindsAsync(fed));
        (await client.PostAsJsonAsync($"/api/v1/orders/{paidFirst}/pay", new { cardNumber = "4242424242424242" })).EnsureSuccessStatusCode();
        Assert.Equal(["reserved", "paid"], await KindsAsync(paidFirst));

        // Passes until it is queued: a pass goes only up to the oldest transaction open on the server, which other
        // tests share. Together they queue only the order nothing had notified yet.
        var queued = 0;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((await KindsAsync(fed)).Count == 0)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the feeder never queued it");
            queued += await FeedAsync();
        }
        queued += await FeedAsync();
        Assert.Equal(1, queued);
        Assert.Equal(["reserved"], await KindsAsync(fed));
        Assert.Equal(["reserved", "paid"], await KindsAsync(paidFirst));

        (await client.PostAsync($"/api/v1/orders/{fed}/cancel", null)).EnsureSuccessStatusCode();
        Assert.Equal(["reserved", "cancelled"], await KindsAsync(fed)); // fed already: no second reserved
    }
}
