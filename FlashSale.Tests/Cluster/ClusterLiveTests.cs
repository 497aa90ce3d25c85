using System.Net;
using System.Net.Http.Json;
using FlashSale.Engine.Redis;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Cluster;

[Trait("Category", TestCategory.Chaos)]
[Collection(ThreePrimariesGroup.Name)]
public sealed class ClusterLiveTests(ThreeHostsOnThreePrimaries cluster)
{
    [Fact]
    public async Task A_socket_on_host_three_receives_the_stock_frames_of_purchases_made_on_host_one_for_sales_on_every_primary()
    {
        var (one, three) = (cluster.Hosts[0], cluster.Hosts[2]);
        // One sale per primary: the relay channel must reach host three whichever shard holds the sale.
        var sales = new List<Guid>();
        var shards = new HashSet<string>();
        while (shards.Count < 3)
        {
            var sale = await one.CreateSaleAsync(stock: 20, perUserLimit: 2, waitingRoom: false);
            if (shards.Add(cluster.Multiplexer.GetServer(RedisSaleKeys.For(sale).Meta).EndPoint.ToString()!))
            {
                sales.Add(sale);
            }
        }
        var watcher = await three.RegisterShopperAsync();
        using var socket = await three.OpenSocketAsync(watcher.AccessToken);
        foreach (var sale in sales)
        {
            await socket.SubscribeAsync(sale);
            await socket.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 20, what: "the initial stock frame");
        }

        var buyer = await one.RegisterShopperAsync();
        using var client = one.Anonymous();
        foreach (var sale in sales)
        {
            Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, buyer.AccessToken, 2)).StatusCode);
            await socket.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 18,
                TimeSpan.FromSeconds(3), "host one's stock change on host three");
        }
    }

    [Fact]
    public async Task Three_hosts_sharing_one_line_admit_it_in_ticket_order_at_one_hosts_rate()
    {
        var hosts = cluster.Hosts;
        var opens = DateTimeOffset.UtcNow.AddSeconds(2);
        var sale = await hosts[0].CreateSaleAsync(stock: 1_000, rate: 10, startsAt: opens);
        var shoppers = await hosts[0].BulkShoppersAsync(45);
        var clients = hosts.Select(h => h.Anonymous()).ToArray();
        var tickets = new List<long>();
        for (var i = 0; i < shoppers.Count; i++)
        {
            tickets.Add((await clients[i % 3].JoinOkAsync(sale, shoppers[i].AccessToken)).Ticket);
        }
        Assert.Equal(Enumerable.Range(1, shoppers.Count).Select(t => (long)t), tickets); // tickets follow join order across hosts

        var watcher = await hosts[2].RegisterShopperAsync();
        using var socket = await hosts[2].OpenSocketAsync(watcher.AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("queue", sale) && f.GetProperty("admittedThrough").GetInt64() > 0, TimeSpan.FromSeconds(5), "the line to move");
        await Task.Delay(1_000);
        var places = await Task.WhenAll(shoppers.Select(async (s, i) =>
        {
            using var response = await clients[(i + 1) % 3].PlaceAsync(sale, s.AccessToken);
            return (await response.Content.ReadFromJsonAsync<QueueBody>())!;
        }));

        var open = (DateTimeOffset.UtcNow - opens).TotalSeconds;

        // Exactly the tickets up to the counter are admitted, whichever host is asked.
        Assert.All(places, p => Assert.Equal(p.Ticket <= p.AdmittedThrough, p.Admitted));
        // One host's rate: the first second's credit, then 10 a second (plus a tick of slack for a busy machine). Three
        // hosts advancing the line at once would admit about three times that.
        var through = places.Max(p => p.AdmittedThrough);
        Assert.InRange(through, 10, 10 + (10 * open) + 5);
        // And one lease: a single host holds the line.
        var holder = (string?)await cluster.Multiplexer.GetDatabase().StringGetAsync(RedisSaleKeys.For(sale).Lease);
        Assert.False(string.IsNullOrEmpty(holder));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
