using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using FlashSale.Engine.Redis;
using FlashSale.Host.WaitingRoom;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>The operator's pause, resume and stats of a line, across two hosts sharing one Redis.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class LineControlTests(TwoFastHosts hosts) : IClassFixture<TwoFastHosts>
{
    private static async Task<LineStatsResponse> PostAsync(HttpClient admin, Guid sale, string action)
    {
        using var response = await admin.PostAsync($"/api/v1/flash-sales/{sale}/queue/{action}", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<LineStatsResponse>())!;
    }

    private static async Task<LineStatsResponse> StatsAsync(HttpClient admin, Guid sale) =>
        (await admin.GetFromJsonAsync<LineStatsResponse>($"/api/v1/flash-sales/{sale}/queue/stats"))!;

    [Fact]
    public async Task Pause_on_one_host_stops_admission_within_a_step_whichever_host_moves_the_line_and_resume_continues()
    {
        var sale = await hosts.First.CreateSaleAsync(stock: 1_000, rate: 10);
        var shoppers = await hosts.First.BulkShoppersAsync(30);
        using var one = hosts.First.Anonymous();
        foreach (var shopper in shoppers)
        {
            await one.JoinOkAsync(sale, shopper.AccessToken);
        }
        var first = await one.WaitAdmittedAsync(sale, shoppers[0].AccessToken);
        using var adminTwo = await hosts.Second.AdminAsync();
        using var adminOne = await hosts.First.AdminAsync();

        var paused = await PostAsync(adminTwo, sale, "pause");
        Assert.True(paused.Paused);
        await Task.Delay(100); // a step that was already running may still finish
        var stopped = (await StatsAsync(adminOne, sale)).AdmittedThrough;
        await Task.Delay(600); // thirty 20 ms steps at 10 a second would have admitted about six more

        var still = await StatsAsync(adminOne, sale);
        Assert.True(still.Paused);
        Assert.Equal(stopped, still.AdmittedThrough);
        Assert.True(still.Present >= 30 - stopped, $"present {still.Present}, through {stopped}");
        // Purchases of shoppers admitted before the pause go on.
        using (var bought = await one.BuyAsync(sale, shoppers[0].AccessToken))
        {
            Assert.Equal((HttpStatusCode.Created, 1L), (bought.StatusCode, first.Ticket));
        }

        var resumed = await PostAsync(adminOne, sale, "resume");
        Assert.False(resumed.Paused);
        var clock = Stopwatch.StartNew();
        while ((await StatsAsync(adminTwo, sale)).AdmittedThrough <= stopped)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "the line did not move after resume");
            await Task.Delay(50);
        }
        var stats = await StatsAsync(adminTwo, sale);
        Assert.Equal((30L, 1L, 0L), (stats.Issued, stats.Buyers, stats.Absent));
        Assert.InRange(stats.AdmittedTotal, stopped + 1, 30);
        Assert.Equal(Math.Round(1.0 / stats.AdmittedTotal, 4), stats.Conversion);
    }

    [Fact]
    public async Task Queue_me_and_the_live_queue_frame_say_paused_after_a_pause_and_not_after_resume()
    {
        // No stock beyond what the first shopper is admitted for: the second waits, so its place stays in line.
        var sale = await hosts.First.CreateSaleAsync(stock: 1_000, rate: 1);
        var shoppers = await hosts.First.BulkShoppersAsync(3);
        using var client = hosts.First.Anonymous();
        using var socket = await hosts.First.OpenSocketAsync(shoppers[2].AccessToken);
        await socket.SubscribeAsync(sale);
        foreach (var shopper in shoppers)
        {
            await client.JoinOkAsync(sale, shopper.AccessToken);
        }
        Assert.False((await client.JoinOkAsync(sale, shoppers[2].AccessToken)).Paused);

        // Paused on the other host: its publisher's frame reaches this host's socket through the relay.
        using var admin = await hosts.Second.AdminAsync();
        Assert.True((await PostAsync(admin, sale, "pause")).Paused);
        await socket.WaitForFrameAsync(f => f.Is("queue", sale) && f.GetProperty("paused").GetBoolean(), what: "a queue frame saying paused");
        using (var me = await client.PlaceAsync(sale, shoppers[2].AccessToken))
        {
            var place = (await me.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.Equal((HttpStatusCode.OK, 3L, true), (me.StatusCode, place.Ticket, place.Paused));
        }

        Assert.False((await PostAsync(admin, sale, "resume")).Paused);
        await socket.WaitForFrameAsync(f => f.Is("queue", sale) && !f.GetProperty("paused").GetBoolean(), what: "a queue frame saying not paused");
        using (var me = await client.PlaceAsync(sale, shoppers[2].AccessToken))
        {
            Assert.False((await me.Content.ReadFromJsonAsync<QueueBody>())!.Paused);
        }
    }

    [Fact]
    public async Task Operators_pausing_and_resuming_at_once_on_two_hosts_leave_Redis_as_PostgreSQL_holds_it()
    {
        var sale = await hosts.First.CreateSaleAsync(stock: 10);
        using var adminOne = await hosts.First.AdminAsync();
        using var adminTwo = await hosts.Second.AdminAsync();
        var requests = Enumerable.Range(0, 24).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? adminOne : adminTwo).PostAsync($"/api/v1/flash-sales/{sale}/queue/{(i % 3 == 0 ? "pause" : "resume")}", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        });
        await Task.WhenAll(requests);

        await using var db = await hosts.First.Database.DataSource.OpenConnectionAsync();
        var (paused, version) = await db.QuerySingleAsync<(bool, long)>("select paused, pause_version from line_progress where flash_sale_id = @sale", new { sale });
        Assert.Equal(24, version);
        var queue = await hosts.First.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase()
            .HashGetAsync(RedisSaleKeys.For(sale).Queue, ["paused", "pausev"]);
        Assert.Equal((paused, 24L), (queue[0] == "1", (long)queue[1]));
        Assert.Equal(paused, (await StatsAsync(adminOne, sale)).Paused);
    }

    [Fact]
    public async Task Redis_takes_a_pause_only_with_a_newer_version_than_it_holds()
    {
        var sale = await hosts.First.CreateSaleAsync(stock: 10);
        using var admin = await hosts.First.AdminAsync();
        _ = await StatsAsync(admin, sale); // the sale's state is in Redis
        var room = hosts.First.Services.GetRequiredService<RedisWaitingRoom>();

        Assert.True(await room.SetPausedAsync(sale, paused: true, version: 2));
        Assert.False(await room.SetPausedAsync(sale, paused: false, version: 1)); // a slower, older write loses
        Assert.False(await room.SetPausedAsync(sale, paused: false, version: 2));
        Assert.True((await StatsAsync(admin, sale)).Paused);
        Assert.True(await room.SetPausedAsync(sale, paused: false, version: 3));
        Assert.False((await StatsAsync(admin, sale)).Paused);
    }

    [Fact]
    public async Task Line_controls_need_the_admin_role_a_known_sale_and_a_waiting_room()
    {
        var sale = await hosts.First.CreateSaleAsync(stock: 5);
        var plain = await hosts.First.CreateSaleAsync(stock: 5, waitingRoom: false);
        using var shopper = await hosts.First.ShopperAsync();
        using var admin = await hosts.First.AdminAsync();

        using (var forbidden = await shopper.PostAsync($"/api/v1/flash-sales/{sale}/queue/pause", null))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using (var forbidden = await shopper.GetAsync($"/api/v1/flash-sales/{sale}/queue/stats"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        }
        using (var unknown = await admin.PostAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/queue/pause", null))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        }
        using (var noLine = await admin.GetAsync($"/api/v1/flash-sales/{plain}/queue/stats"))
        {
            await ProblemAssert.IsProblemAsync(noLine, HttpStatusCode.Conflict, "no-waiting-room");
        }
        Assert.False((await StatsAsync(admin, sale)).Paused); // the sale's line was left as it was
    }
}
