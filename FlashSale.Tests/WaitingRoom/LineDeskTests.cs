using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using FlashSale.Engine.Redis;
using StackExchange.Redis;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>Joins and place reads answered in batches (one Lua call each), and no polling for a shopper whose socket follows the line.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class LineDeskTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    [Fact]
    public async Task A_shopper_whose_socket_follows_the_sale_is_told_not_to_poll_until_the_socket_closes()
    {
        var sale = await app.CreateSaleAsync(stock: 10, startsAt: DateTimeOffset.UtcNow.AddHours(1));
        var shoppers = await app.BulkShoppersAsync(2);
        using var client = app.Anonymous();
        var socket = await app.OpenSocketAsync(shoppers[0].AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the subscription's first stock frame");

        var following = await client.JoinOkAsync(sale, shoppers[0].AccessToken);
        var polling = await client.JoinOkAsync(sale, shoppers[1].AccessToken);

        Assert.Null(following.PollAfterMs);
        Assert.InRange(polling.PollAfterMs ?? 0, 1_000, 10_000);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        socket.Dispose();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var me = await client.PlaceAsync(sale, shoppers[0].AccessToken);
            var place = (await me.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.Equal(following.Ticket, place.Ticket);
            if (place.PollAfterMs is not null)
            {
                Assert.InRange(place.PollAfterMs.Value, 1_000, 10_000);
                break;
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "still told not to poll after its socket closed");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task One_call_for_a_batch_gives_each_shopper_one_ticket_in_batch_order_and_repeats_answer_the_same_ticket()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Infrastructure.TestEnvironment.Redis);
        var saleId = Guid.CreateVersion7();
        var keys = RedisSaleKeys.For(saleId);
        var db = redis.GetDatabase();
        try
        {
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await db.HashSetAsync(keys.Meta, [new("starts", now + 60_000), new("ends", now + 120_000), new("wr", "1")]);
            await db.StringSetAsync(keys.Stock, 100);
            var room = new RedisWaitingRoom(redis);
            var (a, b, c) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
            var places = new QueuePlace[5];

            // a joins, c only asks (not in line), a joins again in the same batch, b joins, a reads its place.
            await room.PlaceManyAsync(saleId, [(a, true), (c, false), (a, true), (b, true), (a, false)], places);

            Assert.Equal((QueueOutcome.InLine, 1L), (places[0].Outcome, places[0].Ticket));
            Assert.Equal(QueueOutcome.NotInLine, places[1].Outcome);
            Assert.Equal((QueueOutcome.InLine, 1L), (places[2].Outcome, places[2].Ticket));
            Assert.Equal((QueueOutcome.InLine, 2L), (places[3].Outcome, places[3].Ticket));
            Assert.Equal((QueueOutcome.InLine, 1L), (places[4].Outcome, places[4].Ticket));
            Assert.Equal(2, (long)await db.HashGetAsync(keys.Queue, "issued"));
            Assert.Equal(2, await db.ListLengthAsync(keys.Line));

            // The next batch sees the same tickets: joining is idempotent across calls too.
            await room.PlaceManyAsync(saleId, [(b, true), (a, true), (c, true)], places);
            Assert.Equal([2L, 1L, 3L], places[..3].Select(p => p.Ticket));
        }
        finally
        {
            await db.KeyDeleteAsync([.. keys.All]);
        }
    }

    [Fact]
    public async Task A_sale_without_state_or_without_a_line_answers_every_shopper_of_the_batch_so()
    {
        using var redis = await ConnectionMultiplexer.ConnectAsync(Infrastructure.TestEnvironment.Redis);
        var saleId = Guid.CreateVersion7();
        var keys = RedisSaleKeys.For(saleId);
        var db = redis.GetDatabase();
        try
        {
            var room = new RedisWaitingRoom(redis);
            var places = new QueuePlace[2];
            await room.PlaceManyAsync(saleId, [(Guid.NewGuid(), true), (Guid.NewGuid(), false)], places);
            Assert.All(places, p => Assert.Equal(QueueOutcome.NoSaleState, p.Outcome));

            await db.HashSetAsync(keys.Meta, [new("starts", 0), new("ends", long.MaxValue), new("wr", "0")]);
            await room.PlaceManyAsync(saleId, [(Guid.NewGuid(), true), (Guid.NewGuid(), false)], places);
            Assert.All(places, p => Assert.Equal(QueueOutcome.NoWaitingRoom, p.Outcome));
        }
        finally
        {
            await db.KeyDeleteAsync([.. keys.All]);
        }
    }
}
