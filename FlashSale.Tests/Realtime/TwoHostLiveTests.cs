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
        var sale = await hosts.First.CreateSaleAsync(stock: 1_000, rate: 10, startsAt: DateTimeOffset.UtcNow.AddSeconds(1));
        var shoppers = await hosts.First.BulkShoppersAsync(40);
        using var one = hosts.First.Anonymous();
        using var two = hosts.Second.Anonymous();
        for (var i = 0; i < shoppers.Count; i++)
        {
            await (i % 2 == 0 ? one : two).JoinOkAsync(sale, shoppers[i].AccessToken);
        }
        var watcher = await hosts.Second.RegisterShopperAsync();
        using var socket = await hosts.Second.OpenSocketAsync(watcher.AccessToken);
        await socket.SubscribeAsync(sale);
        // Opens about a second after creation; then one second of credit (10) plus 10 per second.
        await socket.WaitForFrameAsync(f => f.Is("queue", sale) && f.GetProperty("admittedThrough").GetInt64() > 0, TimeSpan.FromSeconds(4), "the line to move");
        await Task.Delay(1_000);
        using var response = await two.PlaceAsync(sale, shoppers[^1].AccessToken);
        var last = (await response.Content.ReadFromJsonAsync<QueueBody>())!;

        // One host's rate: the first second's credit, then 10 a second (a busy machine may lag a tick behind); two
        // hosts advancing the same line would be near 40.
        Assert.InRange(last.AdmittedThrough, 10, 10 + 10 + 10);
        Assert.False(last.Admitted);
    }
}
