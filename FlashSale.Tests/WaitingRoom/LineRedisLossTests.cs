using System.Net;
using System.Net.Http.Json;
using Dapper;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Faults;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>A fast host on a Redis server of its own, which the test may flush (FLUSHALL) without touching anyone else's.</summary>
public sealed class PrivateRedisLineApp : IAsyncLifetime
{
    public FastLiveApp Host { get; } = new();

    public PrivateRedis Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Redis = await PrivateRedis.StartAsync();
        Host.Settings["ConnectionStrings:Redis"] = Redis.Configuration;
        await Host.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Host).DisposeAsync();
        await Redis.DisposeAsync();
    }
}

/// <summary>The line is journaled in PostgreSQL and rebuilt with the sale's state after Redis loses its data.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class LineRedisLossTests(PrivateRedisLineApp rig) : IClassFixture<PrivateRedisLineApp>
{
    private FastLiveApp App => rig.Host;

    private sealed record LineState(long Issued, long Through, Dictionary<string, string> Tickets, string[] Line, Dictionary<string, double> Admitted);

    [Fact]
    public async Task Redis_FLUSHALL_during_a_line_the_rebuilt_line_has_the_same_tickets_and_admissions()
    {
        // Three units: at most six live admissions (two per unit left), so the line stops at ticket 6 by itself and
        // the state compared before and after the loss is still.
        var sale = await App.CreateSaleAsync(stock: 3, perUserLimit: 1, window: 600);
        var shoppers = await App.BulkShoppersAsync(31);
        using var client = App.Anonymous();
        await using var db = await App.Database.DataSource.OpenConnectionAsync();
        var answered = new List<QueueBody>();
        foreach (var shopper in shoppers.Take(30))
        {
            var place = await client.JoinOkAsync(sale, shopper.AccessToken);
            // Journaled before it was answered.
            Assert.Equal(shopper.Id, await db.QuerySingleOrDefaultAsync<Guid?>(
                "select user_id from line_tickets where flash_sale_id = @sale and ticket = @ticket", new { sale, ticket = place.Ticket }));
            answered.Add(place);
        }
        Assert.Equal(Enumerable.Range(1, 30).Select(t => (long)t), answered.Select(a => a.Ticket));
        await client.WaitAdmittedAsync(sale, shoppers[5].AccessToken);
        // The first shopper buys the limit: the admission is used up, and that must stay so.
        using (var bought = await client.BuyAsync(sale, shoppers[0].AccessToken))
        {
            Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        }
        await WaitForAsync(async () => await db.ExecuteScalarAsync<long?>("select through from line_progress where flash_sale_id = @sale", new { sale }) == 6
            && await db.ExecuteScalarAsync<long>("select count(*) from line_tickets where flash_sale_id = @sale and admitted_until_ms is not null", new { sale }) == 6,
            async () => string.Join(";", await db.QueryAsync<string>(
                "select ticket || ':' || coalesce(admitted_until_ms::text, '-') from line_tickets where flash_sale_id = @sale order by ticket", new { sale }))
                + " through " + await db.ExecuteScalarAsync<long?>("select through from line_progress where flash_sale_id = @sale", new { sale }));
        var redis = App.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var before = await ReadAsync(redis, sale);
        Assert.Equal(6, before.Through);
        Assert.Equal(5, before.Admitted.Count);

        await rig.Redis.FlushAllAsync();
        Assert.False(await redis.KeyExistsAsync(RedisSaleKeys.For(sale).Meta));

        // The first place read after the loss rebuilds the sale (stock, orders, and now the line) from PostgreSQL.
        var places = new List<QueueBody>();
        foreach (var shopper in shoppers.Take(30).Skip(1))
        {
            using var response = await client.PlaceAsync(sale, shopper.AccessToken);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            places.Add((await response.Content.ReadFromJsonAsync<QueueBody>())!);
        }
        var after = await ReadAsync(redis, sale);
        Assert.Equal(before.Issued, after.Issued);
        Assert.Equal(before.Through, after.Through);
        Assert.Equal(before.Line, after.Line);
        Assert.Equal(before.Tickets.OrderBy(t => t.Key), after.Tickets.OrderBy(t => t.Key));
        Assert.Equal(before.Admitted.OrderBy(a => a.Key), after.Admitted.OrderBy(a => a.Key));
        Assert.Equal(answered.Skip(1).Select(a => a.Ticket), places.Select(p => p.Ticket));
        Assert.All(places, p => Assert.Equal(p.Ticket <= 6, p.Admitted));

        // The used admission stays used; an admitted shopper still buys; a new joiner queues behind ticket 30, not at 1.
        using (var gone = await client.PlaceAsync(sale, shoppers[0].AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        using (var bought = await client.BuyAsync(sale, shoppers[1].AccessToken))
        {
            Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        }
        Assert.Equal(31, (await client.JoinOkAsync(sale, shoppers[30].AccessToken)).Ticket);
    }

    [Fact]
    public async Task A_paused_line_stays_paused_after_Redis_FLUSHALL_and_its_rebuild_and_resume_admits_the_next_ticket()
    {
        // An emergency stop must not be lifted silently by a Redis data loss: the rebuilt line is paused as before.
        var sale = await App.CreateSaleAsync(stock: 100, window: 600);
        var shoppers = await App.BulkShoppersAsync(2);
        using var client = App.Anonymous();
        await client.JoinOkAsync(sale, shoppers[0].AccessToken);
        await client.WaitAdmittedAsync(sale, shoppers[0].AccessToken);
        await App.SetLinePausedAsync(sale, paused: true);
        Assert.Equal(2, (await client.JoinOkAsync(sale, shoppers[1].AccessToken)).Ticket);
        await using (var db = await App.Database.DataSource.OpenConnectionAsync())
        {
            await WaitForAsync(async () => await db.ExecuteScalarAsync<long?>("select through from line_progress where flash_sale_id = @sale", new { sale }) == 1);
        }

        await rig.Redis.FlushAllAsync();
        var redis = App.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        Assert.False(await redis.KeyExistsAsync(RedisSaleKeys.For(sale).Meta));

        // The place read rebuilds the sale from PostgreSQL, as in the test above.
        using (var me = await client.PlaceAsync(sale, shoppers[1].AccessToken))
        {
            var place = (await me.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.Equal((HttpStatusCode.OK, 2L, false, true), (me.StatusCode, place.Ticket, place.Admitted, place.Paused));
        }
        using var admin = await App.AdminAsync();
        Assert.True((await admin.GetFromJsonAsync<FlashSale.Host.WaitingRoom.LineStatsResponse>($"/api/v1/flash-sales/{sale}/queue/stats"))!.Paused);
        await Task.Delay(500); // twenty-five 20 ms steps: an unpaused line would have admitted ticket 2 at the first one
        using (var me = await client.PlaceAsync(sale, shoppers[1].AccessToken))
        {
            Assert.False((await me.Content.ReadFromJsonAsync<QueueBody>())!.Admitted);
        }

        await App.SetLinePausedAsync(sale, paused: false);
        Assert.Equal(2, (await client.WaitAdmittedAsync(sale, shoppers[1].AccessToken)).Ticket);
    }

    [Fact]
    public async Task A_pause_while_Redis_is_down_is_answered_503_and_is_put_in_force_when_Redis_is_back()
    {
        var sale = await App.CreateSaleAsync(stock: 10);
        using var admin = await App.AdminAsync();
        _ = await admin.GetFromJsonAsync<FlashSale.Host.WaitingRoom.LineStatsResponse>($"/api/v1/flash-sales/{sale}/queue/stats");

        await rig.Redis.ShutdownAsync();
        try
        {
            using var refused = await admin.PostAsync($"/api/v1/flash-sales/{sale}/queue/pause", null);
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.ServiceUnavailable, "service-unavailable");
            Assert.Equal("1", refused.Headers.RetryAfter?.ToString());
        }
        finally
        {
            await rig.Redis.StartAgainAsync();
        }

        // PostgreSQL took the first attempt (version 1) and Redis did not: the admission loop puts the journaled pause
        // into force by itself, and a retry writes a newer version to both.
        await using (var db = await App.Database.DataSource.OpenConnectionAsync())
        {
            Assert.Equal((true, 1L), await db.QuerySingleAsync<(bool, long)>(
                "select paused, pause_version from line_progress where flash_sale_id = @sale", new { sale }));
        }
        var redis = App.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        await WaitForAsync(async () =>
        {
            try
            {
                return await redis.PingAsync() >= TimeSpan.Zero; // the host's connection is back
            }
            catch (RedisException)
            {
                return false;
            }
        });
        await WaitForAsync(async () => (string?)await redis.HashGetAsync(RedisSaleKeys.For(sale).Queue, "pausev") == "1");
        Assert.Equal("1", (string?)await redis.HashGetAsync(RedisSaleKeys.For(sale).Queue, "paused"));
        await App.SetLinePausedAsync(sale, paused: true);
        Assert.Equal("2", (string?)await redis.HashGetAsync(RedisSaleKeys.For(sale).Queue, "pausev"));
        Assert.True((await admin.GetFromJsonAsync<FlashSale.Host.WaitingRoom.LineStatsResponse>($"/api/v1/flash-sales/{sale}/queue/stats"))!.Paused);
    }

    [Fact]
    public async Task Redis_FLUSHALL_before_and_after_a_pre_queue_draw_keeps_the_entrants_and_the_drawn_tickets()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(10);
        var (sale, _) = await PrequeueDrawTests.CreatePrequeueSaleAsync(App, startsAt, prequeueSeconds: 3_600);
        var shoppers = await App.BulkShoppersAsync(40);
        using var client = App.Anonymous();
        foreach (var shopper in shoppers)
        {
            Assert.True((await PrequeueDrawTests.JoinAsync(client, sale, shopper.AccessToken)).Prequeue);
        }

        await rig.Redis.FlushAllAsync();
        using (var me = await client.PlaceAsync(sale, shoppers[0].AccessToken))
        {
            var entry = (await me.Content.ReadFromJsonAsync<PrequeueBody>())!;
            Assert.True(entry.Prequeue);
            Assert.Equal(40, entry.Entrants);
        }

        Assert.True(await PrequeueDrawTests.DrawAsync(App, sale, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(startsAt)));
        var before = await TicketsAsync(client, sale, shoppers);
        Assert.Equal(Enumerable.Range(1, 40).Select(t => (long)t), before.Values.Order());
        var late = await App.BulkShoppersAsync(1);
        Assert.Equal(41, (await client.JoinOkAsync(sale, late[0].AccessToken)).Ticket);

        await rig.Redis.FlushAllAsync();
        Assert.Equal(before, await TicketsAsync(client, sale, shoppers));
        using (var me = await client.PlaceAsync(sale, late[0].AccessToken))
        {
            Assert.Equal(41, (await me.Content.ReadFromJsonAsync<QueueBody>())!.Ticket);
        }
    }

    private static async Task<Dictionary<Guid, long>> TicketsAsync(HttpClient client, Guid sale, IEnumerable<BulkShopper> shoppers)
    {
        var tickets = new Dictionary<Guid, long>();
        foreach (var shopper in shoppers)
        {
            using var me = await client.PlaceAsync(sale, shopper.AccessToken);
            var place = (await me.Content.ReadFromJsonAsync<PrequeueBody>())!;
            Assert.False(place.Prequeue);
            Assert.NotNull(place.DrawReceipt);
            tickets[shopper.Id] = place.Ticket;
        }
        return tickets;
    }

    private static async Task<LineState> ReadAsync(IDatabase redis, Guid sale)
    {
        var keys = RedisSaleKeys.For(sale);
        var queue = await redis.HashGetAsync(keys.Queue, ["issued", "through"]);
        var tickets = (await redis.HashGetAllAsync(keys.Tickets)).ToDictionary(e => (string)e.Name!, e => (string)e.Value!);
        var line = (await redis.ListRangeAsync(keys.Line)).Select(v => (string)v!).ToArray();
        var admitted = (await redis.SortedSetRangeByRankWithScoresAsync(keys.Admitted)).ToDictionary(e => (string)e.Element!, e => e.Score);
        return new LineState((long)queue[0], (long)queue[1], tickets, line, admitted);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the line's journal did not catch up: " + (describe is null ? "" : await describe()));
            await Task.Delay(20);
        }
    }
}
