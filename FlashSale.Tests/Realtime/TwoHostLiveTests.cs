using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Realtime;

[Trait("Category", TestCategory.Integration)]
public sealed class TwoHostLiveTests(TwoFastHosts hosts) : IClassFixture<TwoFastHosts>
{
    [Fact]
    public async Task A_socket_on_host_two_receives_the_stock_frame_of_a_purchase_made_on_host_one()
    {
        var sale = await hosts.First.CreateSaleAsync(stock: 20, perUserLimit: 2, waitingRoom: false);
        var watcher = await hosts.Second.RegisterShopperAsync();
        using var socket = await hosts.Second.OpenSocketAsync(watcher.AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 20, what: "the initial stock frame");

        var buyer = await hosts.First.RegisterShopperAsync();
        using var client = hosts.First.Anonymous();
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, buyer.AccessToken, 2)).StatusCode);

        await socket.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 18,
            TimeSpan.FromSeconds(2), "host one's stock change on host two");
    }

    [Fact]
    public async Task Two_hosts_admit_one_line_in_ticket_order_without_doubling_the_rate()
    {
        // The line is held while 100 shoppers join through both hosts, so the setup's length (long on a busy machine)
        // is not counted as admission time; the rate is then judged against the time measured since the resume.
        var sale = await hosts.First.CreateSaleAsync(stock: 1_000, rate: 10);
        await hosts.First.SetLinePausedAsync(sale, paused: true); // nobody has joined yet: nothing can have been admitted
        var shoppers = await hosts.First.BulkShoppersAsync(100);
        using var one = hosts.First.Anonymous();
        using var two = hosts.Second.Anonymous();
        for (var i = 0; i < shoppers.Count; i++)
        {
            await (i % 2 == 0 ? one : two).JoinOkAsync(sale, shoppers[i].AccessToken);
        }
        var watcher = await hosts.Second.RegisterShopperAsync();
        using var socket = await hosts.Second.OpenSocketAsync(watcher.AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the subscription's first stock frame");

        var clock = Stopwatch.StartNew();
        await hosts.Second.SetLinePausedAsync(sale, paused: false);
        await socket.WaitForFrameAsync(f => f.Is("queue", sale) && f.GetProperty("admittedThrough").GetInt64() > 0, TimeSpan.FromSeconds(10), "the line to move");
        await Task.Delay(1_000);
        using var response = await two.PlaceAsync(sale, shoppers[^1].AccessToken);
        var last = (await response.Content.ReadFromJsonAsync<QueueBody>())!;
        var elapsed = clock.Elapsed.TotalSeconds;

        // One host's rate: at most a second's credit (10, saved up while held) at the resume, then 10 a second; two
        // hosts advancing the same line would admit about twice that.
        Assert.InRange(last.AdmittedThrough, 10, 10 + (long)Math.Ceiling(10 * elapsed));
        Assert.False(last.Admitted, $"through {last.AdmittedThrough} after {elapsed:F1} s");
    }
}
