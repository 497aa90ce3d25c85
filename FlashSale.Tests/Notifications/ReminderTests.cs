using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Notifications;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlashSale.Tests.Notifications;

/// <summary>
/// Issue 16, "Notify me": a shopper's reminder of an upcoming sale fires at the lead time (a fake clock drives the
/// scheduler) as one email and a live <c>reminder</c> frame; a price drop tells them too; the endpoints refuse with
/// problem+json and each shopper sees only their own reminder.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReminderTests(MailApp app) : IClassFixture<MailApp>
{
    private static readonly TimeSpan Lead = TimeSpan.FromMinutes(5); // Notify:LeadMinutes' default

    /// <summary>
    /// A sale opening <paramref name="hours"/> from now for ten minutes. The scheduler queues every sale due at its
    /// clock: each test's sale opens at another hour and ends before the next one's lead time, so a fake clock of one
    /// test never queues another test's reminders.
    /// </summary>
    private async Task<(Guid SaleId, DateTimeOffset StartsAt)> UpcomingSaleAsync(int hours, decimal price = 10m)
    {
        var startsAt = DateTimeOffset.UtcNow.AddHours(hours);
        startsAt = startsAt.AddTicks(-(startsAt.Ticks % TimeSpan.TicksPerSecond));
        return (await app.CreateSaleAsync(totalStock: 10, perUserLimit: 1, salePrice: price, startsAt: startsAt, endsAt: startsAt.AddMinutes(10)), startsAt);
    }

    private ReminderScheduler SchedulerAt(FakeTimeProvider clock) => new(app.Database.DataSource, app.Services.GetRequiredService<ReminderFrames>(),
        app.Services.GetRequiredService<IOptions<NotifyOptions>>(), clock, NullLogger<ReminderScheduler>.Instance);

    [Fact]
    public async Task A_reminder_fires_at_the_lead_time_once_as_an_email_and_a_live_frame()
    {
        var (saleId, startsAt) = await UpcomingSaleAsync(hours: 1, price: 12.5m);
        var email = $"remind-{Guid.NewGuid():N}@example.com";
        var shopper = await app.RegisterShopperAsync(email);
        using var client = app.WithToken(shopper.AccessToken);
        var created = await client.PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(startsAt - Lead, body.GetProperty("remindAt").GetDateTimeOffset());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null)).StatusCode); // once
        using var socket = await app.OpenSocketAsync(shopper.AccessToken);
        await socket.SubscribeAsync(saleId);
        var clock = new FakeTimeProvider(startsAt - Lead - TimeSpan.FromSeconds(1));

        Assert.Equal(0, await SchedulerAt(clock).QueueDueAsync(CancellationToken.None));
        Assert.Empty(await app.OutboxAsync(saleId));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await SchedulerAt(clock).QueueDueAsync(CancellationToken.None));
        Assert.Equal(0, await SchedulerAt(clock).QueueDueAsync(CancellationToken.None));

        var frame = await socket.WaitForFrameAsync(f => f.GetProperty("type").GetString() == "reminder", TimeSpan.FromSeconds(5), "the reminder frame");
        Assert.Equal(saleId, frame.GetProperty("saleId").GetGuid());
        Assert.Equal(startsAt, frame.GetProperty("startsAt").GetDateTimeOffset());
        var mail = Assert.Single(await app.Sink.WaitForAsync(email, "sale_opening"));
        Assert.Contains($"goes on sale at {startsAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC for 12.50", mail.TextBody, StringComparison.Ordinal);
        Assert.Contains($"http://shop.test/#/sale/{saleId}", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal([("sale_opening", "sent", 1)], await app.OutboxAsync(saleId));
    }

    [Fact]
    public async Task Asking_inside_the_lead_time_queues_the_reminder_at_once_and_cancelling_unqueues_an_unsent_one()
    {
        var (saleId, startsAt) = await UpcomingSaleAsync(hours: 2);
        await SchedulerAt(new FakeTimeProvider(startsAt - Lead)).QueueDueAsync(CancellationToken.None);
        Assert.Empty(await app.OutboxAsync(saleId)); // queued before anyone asked
        var email = $"late-{Guid.NewGuid():N}@example.com";
        using var client = app.WithToken((await app.RegisterShopperAsync(email)).AccessToken);

        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null)).StatusCode);

        Assert.Single(await app.Sink.WaitForAsync(email, "sale_opening"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/v1/flash-sales/{saleId}/reminders")).StatusCode);
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync($"/api/v1/flash-sales/{saleId}/reminders"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Reminder_requests_are_refused_with_problems_and_each_shopper_sees_only_their_own()
    {
        var (saleId, _) = await UpcomingSaleAsync(hours: 3);
        var open = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 1);
        using var first = await app.ShopperAsync();
        using var second = await app.ShopperAsync();
        Assert.Equal(HttpStatusCode.Created, (await first.PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync($"/api/v1/flash-sales/{saleId}/reminders")).StatusCode);
        await ProblemAssert.IsProblemAsync(await second.GetAsync($"/api/v1/flash-sales/{saleId}/reminders"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await second.DeleteAsync($"/api/v1/flash-sales/{saleId}/reminders"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await first.PostAsync($"/api/v1/flash-sales/{open}/reminders", null), HttpStatusCode.Conflict, "sale-not-active");
        await ProblemAssert.IsProblemAsync(await first.PostAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/reminders", null), HttpStatusCode.NotFound, "not-found");
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await first.GetAsync($"/api/v1/flash-sales/{saleId}/reminders")).StatusCode); // the refusals changed nothing
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*)::int from sale_reminders where flash_sale_id = any(@ids)",
            new { ids = new[] { saleId, open } }));
    }

    [Fact]
    public async Task A_price_drop_tells_the_shoppers_who_asked_and_a_rise_tells_nobody()
    {
        var (saleId, _) = await UpcomingSaleAsync(hours: 4, price: 30m);
        var email = $"drop-{Guid.NewGuid():N}@example.com";
        using var client = app.WithToken((await app.RegisterShopperAsync(email)).AccessToken);
        (await client.PostAsync($"/api/v1/flash-sales/{saleId}/reminders", null)).EnsureSuccessStatusCode();
        using var admin = await app.AdminAsync();

        (await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = 35m })).EnsureSuccessStatusCode();
        (await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = 25m })).EnsureSuccessStatusCode();

        var mail = Assert.Single(await app.Sink.WaitForAsync(email, "price_drop"));
        Assert.Contains("Test product is now 25.00", mail.TextBody, StringComparison.Ordinal);
        Assert.Equal([("price_drop", "sent", 1)], await app.OutboxAsync(saleId));
    }
}

/// <summary>A host that sends at most 100 messages a second.</summary>
public sealed class PacedMailApp : MailApp
{
    public PacedMailApp() => Settings["Email:MaxPerSecond"] = "100";
}

/// <summary>Issue 16: many reminders are queued in one statement and sent paced, while the host keeps answering.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReminderPacingTests(PacedMailApp app) : IClassFixture<PacedMailApp>
{
    [Fact]
    public async Task Hundreds_of_reminders_are_queued_at_once_and_sent_once_each_at_no_more_than_MaxPerSecond()
    {
        const int Shoppers = 250;
        var startsAt = DateTimeOffset.UtcNow.AddHours(1);
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 1, startsAt: startsAt, endsAt: startsAt.AddHours(1));
        var shoppers = await app.BulkShoppersAsync(Shoppers);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("insert into sale_reminders (flash_sale_id, user_id, created_at) select @saleId, u, now() from unnest(@users) as u",
                new { saleId, users = shoppers.Select(s => s.Id).ToArray() });
        }
        var scheduler = new ReminderScheduler(app.Database.DataSource, app.Services.GetRequiredService<ReminderFrames>(),
            app.Services.GetRequiredService<IOptions<NotifyOptions>>(), new FakeTimeProvider(startsAt.AddMinutes(-5)), NullLogger<ReminderScheduler>.Instance);

        var clock = Stopwatch.StartNew();
        Assert.Equal(Shoppers, await scheduler.QueueDueAsync(CancellationToken.None));
        using (var client = app.Anonymous())
        {
            var health = Stopwatch.StartNew();
            (await client.GetAsync("/health/live")).EnsureSuccessStatusCode();
            Assert.True(health.Elapsed < TimeSpan.FromSeconds(1), $"the host took {health.Elapsed} to answer while sending");
        }
        while (app.Sink.Received.Count(m => m.Headers["X-FlashSale-Kind"] == "sale_opening") < Shoppers)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), "the reminders were not all sent");
            await Task.Delay(50);
        }
        var elapsed = clock.Elapsed;

        // 250 messages at 100 a second take at least ~2.5 s (the first goes at once).
        Assert.True(elapsed >= TimeSpan.FromSeconds(2.3), $"sent in {elapsed}: not paced");
        await Task.Delay(300);
        var opening = app.Sink.Received.Where(m => m.Headers["X-FlashSale-Kind"] == "sale_opening").ToList();
        Assert.Equal(Shoppers, opening.Select(m => m.To.Mailboxes.Single().Address).Distinct().Count());
        Assert.Equal(Shoppers, opening.Count);
    }
}
