using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using FlashSale.Engine.Redis;
using FlashSale.Host.Sales;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.WaitingRoom;

[Trait("Category", TestCategory.Integration)]
public sealed class WaitingRoomTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    private static readonly AdmissionPolicy Policy = new(1, 60_000, 2, 300, 100, 60_000, 300_000);

    [Fact]
    public async Task Tickets_follow_join_order_under_1000_concurrent_joins_and_joining_twice_returns_the_same_ticket()
    {
        // Upcoming: nobody is admitted yet, so only the joins move the line.
        var sale = await app.CreateSaleAsync(stock: 100, startsAt: DateTimeOffset.UtcNow.AddHours(1));
        var shoppers = await app.BulkShoppersAsync(1_002);
        using var client = app.Anonymous();

        var first = await client.JoinOkAsync(sale, shoppers[0].AccessToken);
        var storm = await Task.WhenAll(shoppers.Skip(1).Take(1_000).Select(s => client.JoinOkAsync(sale, s.AccessToken)));
        var last = await client.JoinOkAsync(sale, shoppers[^1].AccessToken);

        Assert.Equal(1, first.Ticket);
        Assert.Equal(Enumerable.Range(2, 1_000).Select(t => (long)t), storm.Select(q => q.Ticket).Order());
        Assert.Equal(1_002, last.Ticket);
        Assert.All(storm, q => Assert.Equal(q.Ticket, q.Position));
        Assert.All(storm, q => Assert.False(q.Admitted));

        var again = await Task.WhenAll(shoppers.Skip(1).Take(1_000).Select(s => client.JoinOkAsync(sale, s.AccessToken)));
        Assert.Equal(storm.Select(q => q.Ticket), again.Select(q => q.Ticket));
        using var me = await client.PlaceAsync(sale, shoppers[500].AccessToken);
        Assert.Equal(storm[499].Ticket, (await me.Content.ReadFromJsonAsync<QueueBody>())!.Ticket);
    }

    [Fact]
    public async Task Joining_the_line_after_the_sale_ended_is_refused_and_hands_out_no_ticket()
    {
        var sale = await app.CreateSaleAsync(stock: 10, startsAt: DateTimeOffset.UtcNow.AddHours(1));
        var shoppers = await app.BulkShoppersAsync(2);
        using var client = app.Anonymous();
        Assert.Equal(1, (await client.JoinOkAsync(sale, shoppers[0].AccessToken)).Ticket);

        // The sale's window closes (as an admin edit would make it) while its line still lives in Redis.
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "update flash_sales set starts_at = now() - interval '2 hours', ends_at = now() - interval '1 second', version = version + 1 where id = @sale", new { sale });
        }
        var ended = await app.Services.GetRequiredService<SaleStore>().FindAsync(sale, CancellationToken.None);
        await app.Services.GetRequiredService<SaleChanges>().UpdatedAsync(ended!, CancellationToken.None);

        using var late = await client.JoinAsync(sale, shoppers[1].AccessToken);
        await ProblemAssert.IsProblemAsync(late, HttpStatusCode.Conflict, "sale-not-active");
        var issued = await app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .HashGetAsync(RedisSaleKeys.For(sale).Queue, "issued");
        Assert.Equal(1, (long)issued);
    }

    [Fact]
    public async Task Shoppers_are_admitted_in_ticket_order_at_the_sales_rate()
    {
        var sale = await app.CreateSaleAsync(stock: 1_000, rate: 20);
        var shoppers = await app.BulkShoppersAsync(60);
        using var client = app.Anonymous();
        var started = Stopwatch.StartNew();
        foreach (var shopper in shoppers)
        {
            await client.JoinOkAsync(sale, shopper.AccessToken);
        }
        await Task.Delay(300);
        var places = await Task.WhenAll(shoppers.Select(async s =>
        {
            using var response = await client.PlaceAsync(sale, s.AccessToken);
            return (await response.Content.ReadFromJsonAsync<QueueBody>())!;
        }));
        var elapsed = started.Elapsed.TotalSeconds;

        var through = places.Max(p => p.AdmittedThrough);
        Assert.InRange(through, 1, 20 + (20 * elapsed) + 2); // at most one second of credit plus the rate since the first join
        Assert.True(through < 60, "the line must not be let in all at once");
        // Exactly the tickets up to the counter are admitted: admission follows join order.
        Assert.All(places, p => Assert.Equal(p.Ticket <= p.AdmittedThrough, p.Admitted));
    }

    [Fact]
    public async Task A_purchase_without_admission_in_a_waiting_room_sale_is_refused_403_not_admitted()
    {
        var sale = await app.CreateSaleAsync(stock: 5);
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        using var response = await client.BuyAsync(sale, shopper.AccessToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("not-admitted", await response.ProblemSlugAsync());
    }

    [Fact]
    public async Task Admitted_shoppers_buy_and_buying_the_limit_uses_the_admission_up()
    {
        var sale = await app.CreateSaleAsync(stock: 3, perUserLimit: 1);
        var shoppers = await app.BulkShoppersAsync(3);
        using var client = app.Anonymous();
        foreach (var shopper in shoppers)
        {
            await client.JoinOkAsync(sale, shopper.AccessToken);
        }

        foreach (var shopper in shoppers)
        {
            var place = await client.WaitAdmittedAsync(sale, shopper.AccessToken);
            Assert.Equal(0, place.Position);
            Assert.NotNull(place.AdmittedUntil);
            Assert.InRange(place.AdmittedUntil!.Value, DateTime.UtcNow.AddSeconds(50), DateTime.UtcNow.AddSeconds(61));
            using var bought = await client.BuyAsync(sale, shopper.AccessToken);
            Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
            using var after = await client.PlaceAsync(sale, shopper.AccessToken);
            Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
            Assert.Equal("not-in-line", await after.ProblemSlugAsync());
        }
    }

    [Fact]
    public async Task An_admitted_shopper_who_waits_past_the_window_is_refused_and_the_next_shopper_is_admitted()
    {
        // One unit: at most two live admissions (two per remaining unit), so the third shopper waits for a place to lapse.
        var sale = await app.CreateSaleAsync(stock: 1, window: 1);
        var shoppers = await app.BulkShoppersAsync(3);
        using var client = app.Anonymous();
        foreach (var shopper in shoppers)
        {
            await client.JoinOkAsync(sale, shopper.AccessToken);
        }
        await client.WaitAdmittedAsync(sale, shoppers[0].AccessToken);
        await client.WaitAdmittedAsync(sale, shoppers[1].AccessToken);
        using (var waiting = await client.PlaceAsync(sale, shoppers[2].AccessToken))
        {
            var third = (await waiting.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.False(third.Admitted);
            Assert.Equal(1, third.Position);
        }

        var next = await client.WaitAdmittedAsync(sale, shoppers[2].AccessToken, TimeSpan.FromSeconds(4));

        Assert.Equal(3, next.Ticket);
        using var late = await client.BuyAsync(sale, shoppers[0].AccessToken);
        Assert.Equal(HttpStatusCode.Forbidden, late.StatusCode);
        Assert.Equal("not-admitted", await late.ProblemSlugAsync());
        using var lapsed = await client.PlaceAsync(sale, shoppers[0].AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, lapsed.StatusCode);
        // The lapsed shopper may line up again, at the back (while something is left: see StockAwareLineTests).
        Assert.Equal(4, (await client.JoinOkAsync(sale, shoppers[0].AccessToken)).Ticket);
        using var bought = await client.BuyAsync(sale, shoppers[2].AccessToken);
        Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
    }

    [Fact]
    public async Task Joining_needs_a_waiting_room_sale_a_known_sale_and_a_token()
    {
        var plain = await app.CreateSaleAsync(stock: 5, waitingRoom: false);
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        using var noRoom = await client.JoinAsync(plain, shopper.AccessToken);
        Assert.Equal(HttpStatusCode.Conflict, noRoom.StatusCode);
        Assert.Equal("no-waiting-room", await noRoom.ProblemSlugAsync());

        using var unknown = await client.JoinAsync(Guid.NewGuid(), shopper.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("not-found", await unknown.ProblemSlugAsync());

        var room = await app.CreateSaleAsync(stock: 5);
        using var notJoined = await client.PlaceAsync(room, shopper.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, notJoined.StatusCode);
        Assert.Equal("not-in-line", await notJoined.ProblemSlugAsync());

        using var anonymous = await client.PostAsync($"/api/v1/flash-sales/{room}/queue", null);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Only_the_lease_holder_advances_a_line_and_another_host_takes_over_when_the_lease_lapses()
    {
        // A sale whose state exists in Redis but that no host's loop knows (not in PostgreSQL).
        using var redis = await ConnectionMultiplexer.ConnectAsync(Infrastructure.TestEnvironment.Redis);
        var saleId = Guid.CreateVersion7();
        var keys = RedisSaleKeys.For(saleId);
        var db = redis.GetDatabase();
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await db.HashSetAsync(keys.Meta, [new("starts", now - 1_000), new("ends", now + 60_000), new("wr", "1")]);
            await db.StringSetAsync(keys.Stock, 100);
            var room = new RedisWaitingRoom(redis);
            for (var i = 0; i < 10; i++)
            {
                await room.JoinAsync(saleId, Guid.NewGuid(), now, join: true);
            }

            var a = await room.AdmitAsync(saleId, "host-a", now, Policy);
            var b = await room.AdmitAsync(saleId, "host-b", now + 1_000, Policy);
            await Task.Delay(400);
            var c = await room.AdmitAsync(saleId, "host-b", now + 2_000, Policy);

            Assert.True(a.Leader);
            Assert.Equal(1, a.AdmittedThrough);
            Assert.False(b.Leader);
            Assert.True(c.Leader);
            Assert.Equal(2, c.AdmittedThrough); // one second of credit at one per second: one more, not a burst
        }
        finally
        {
            await db.KeyDeleteAsync([.. keys.All]);
        }
    }
}
