using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Realtime;

/// <summary>A fast host whose frame budget is one frame a second: any subscribed sale is over it.</summary>
public sealed class FrameBudgetApp : FastLiveApp
{
    public FrameBudgetApp() => Settings["Realtime:MaxFramesPerSecond"] = "1";
}

[Trait("Category", TestCategory.Integration)]
public sealed class FrameBudgetTests(FrameBudgetApp app) : IClassFixture<FrameBudgetApp>
{
    [Fact]
    public async Task A_sale_over_the_frame_budget_is_published_less_often_but_its_sell_out_goes_out_at_once()
    {
        var sale = await app.CreateSaleAsync(stock: 21, perUserLimit: 21, waitingRoom: false);
        var shopper = (await app.BulkShoppersAsync(1))[0];
        using var client = app.Anonymous();
        using var socket = await app.OpenSocketAsync(shopper.AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the subscription's stock frame");
        var frames = new ConcurrentQueue<(JsonElement Frame, long At)>();
        using var stop = new CancellationTokenSource();
        var reading = Task.Run(async () =>
        {
            try
            {
                while (await socket.ReceiveFrameAsync(stop.Token) is { } frame)
                {
                    frames.Enqueue((frame, Stopwatch.GetTimestamp()));
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        // 20 stock changes in about a second: at 20 ms ticks that would be up to 20 frames; the budget (one
        // subscriber × 2 frames ÷ 1 frame/s = one publication per 2 s) lets at most one or two through.
        for (var i = 0; i < 20; i++)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, shopper.AccessToken)).StatusCode);
            await Task.Delay(50);
        }
        Assert.InRange(frames.Count(f => f.Frame.Is("stock", sale)), 0, 2);

        var lastUnit = Stopwatch.GetTimestamp();
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, shopper.AccessToken)).StatusCode);
        var clock = Stopwatch.StartNew();
        while (!frames.Any(f => f.Frame.Is("sale", sale) && f.Frame.GetProperty("status").GetString() == "sold_out"))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), "no sold-out frame");
            await Task.Delay(10);
        }
        var soldOut = frames.First(f => f.Frame.Is("sale", sale) && f.Frame.GetProperty("status").GetString() == "sold_out");
        var stock = frames.Last(f => f.Frame.Is("stock", sale)).Frame;
        Assert.Equal(0, stock.GetProperty("remainingStock").GetInt32());
        Assert.True(Stopwatch.GetElapsedTime(lastUnit, soldOut.At) < TimeSpan.FromMilliseconds(1_500), "the sell-out waited for the budget");
        await stop.CancelAsync();
        await reading;
    }
}
