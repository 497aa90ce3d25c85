using System.Diagnostics;
using System.Net.Http.Json;
using FlashSale.Engine.Redis;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>A fast host whose shoppers count as absent after 0.6 s without a place read or a subscribed socket.</summary>
public sealed class ShortPresenceApp : FastLiveApp
{
    public ShortPresenceApp()
    {
        Settings["WaitingRoom:PresenceTimeoutSeconds"] = "0.6";
        Settings["WaitingRoom:AbandonAfterSeconds"] = "30";
    }
}

/// <summary>No dead places through the API: sockets keep their shoppers present, silent shoppers are skipped.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PresenceTests(ShortPresenceApp app) : IClassFixture<ShortPresenceApp>
{
    private async Task PauseAsync(Guid sale, bool paused)
    {
        var db = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = RedisSaleKeys.For(sale).Queue;
        _ = paused ? await db.HashSetAsync(key, "paused", "1") : await db.HashDeleteAsync(key, "paused");
    }

    [Fact]
    public async Task A_shopper_following_on_a_socket_stays_present_without_polling_a_silent_one_is_skipped_and_the_eta_falls()
    {
        var sale = await app.CreateSaleAsync(stock: 100, rate: 2);
        await PauseAsync(sale, paused: true);
        var shoppers = await app.BulkShoppersAsync(3);
        var (following, silent, polling) = (shoppers[0].AccessToken, shoppers[1].AccessToken, shoppers[2].AccessToken);
        using var client = app.Anonymous();
        using var socket = await app.OpenSocketAsync(following);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the subscription's first stock frame");

        var a = await client.JoinOkAsync(sale, following);
        await client.JoinOkAsync(sale, silent);
        var c = await client.JoinOkAsync(sale, polling);
        Assert.Null(a.PollAfterMs);
        Assert.Equal((3L, 3L, 2), (c.Ticket, c.Position, c.EtaSeconds));
        Assert.InRange(c.PollAfterMs ?? 0, 100, 200); // a third of the presence timeout at most: polling keeps it present

        // Only the polling shopper asks; the following one just keeps its socket open; the silent one does nothing.
        var clock = Stopwatch.StartNew();
        QueueBody later;
        do
        {
            await Task.Delay(100);
            using var me = await client.PlaceAsync(sale, polling);
            later = (await me.Content.ReadFromJsonAsync<QueueBody>())!;
        }
        while (later.Position != 2 && clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Equal((2L, 1), (later.Position, later.EtaSeconds));
        var frame = await socket.WaitForFrameAsync(f => f.Is("queue", sale) && f.TryGetProperty("absentAhead", out _),
            what: "a queue frame counting the absent shopper");
        Assert.Contains(frame.GetProperty("absentAhead").EnumerateArray(), p => p[0].GetInt64() == 2 && p[1].GetInt64() == 1);

        await PauseAsync(sale, paused: false);
        Assert.True((await client.WaitAdmittedAsync(sale, polling)).Admitted);
        using (var me = await client.PlaceAsync(sale, following))
        {
            Assert.True((await me.Content.ReadFromJsonAsync<QueueBody>())!.Admitted);
        }

        // The silent shopper's ticket was passed, not lost: asking again resumes it, first in line.
        using (var me = await client.PlaceAsync(sale, silent))
        {
            var back = (await me.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.Equal((2L, false, 1L), (back.Ticket, back.Admitted, back.Position));
        }
        Assert.Equal(2, (await client.WaitAdmittedAsync(sale, silent)).Ticket);
    }
}
