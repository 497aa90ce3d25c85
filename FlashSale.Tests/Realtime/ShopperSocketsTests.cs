using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Testing.WebSockets;

namespace FlashSale.Tests.Realtime;

/// <summary>
/// Issue 16: the hub's per-shopper index of sockets (what a reminder frame goes through) keeps no entry for a shopper
/// whose last socket closed, and never loses a socket that opens while the shopper's last one closes.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class ShopperSocketsTests
{
    private static LiveConnection Connection(Guid userId) => new(new CountingWebSocket(new SendCounter()), TimeProvider.System, 64, long.MaxValue, userId);

    [Fact]
    public void A_shopper_whose_last_socket_closes_leaves_no_entry_and_one_with_a_socket_left_keeps_it()
    {
        var hub = new RealtimeHub(new SaleSignals());
        var user = Guid.NewGuid();
        var first = Connection(user);
        var second = Connection(user);
        hub.Register(first);
        hub.Register(second);

        hub.Unregister(first);
        Assert.Equal(1, hub.ShoppersWithSockets);
        Assert.Equal(1, hub.SendToShoppers(Guid.NewGuid(), [user], [1]));

        hub.Unregister(second);
        Assert.Equal(0, hub.ShoppersWithSockets);
        Assert.Equal(0, hub.SendToShoppers(Guid.NewGuid(), [user], [1]));
    }

    [Fact]
    public async Task A_socket_opening_while_the_shoppers_last_one_closes_is_never_lost()
    {
        var hub = new RealtimeHub(new SaleSignals());
        var user = Guid.NewGuid();
        var current = Connection(user);
        hub.Register(current);
        for (var i = 0; i < 5_000; i++)
        {
            var next = Connection(user);
            var old = current;
            using var start = new Barrier(2);
            await Task.WhenAll(
                Task.Run(() => { start.SignalAndWait(); hub.Unregister(old); }),
                Task.Run(() => { start.SignalAndWait(); hub.Register(next); }));
            current = next;
            Assert.True(hub.SendToShoppers(Guid.NewGuid(), [user], [1]) == 1, $"the new socket is unreachable after {i + 1} swaps");
        }
        Assert.Equal(1, hub.ShoppersWithSockets);
    }
}
