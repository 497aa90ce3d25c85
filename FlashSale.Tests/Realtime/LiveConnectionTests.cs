using System.Net.WebSockets;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Testing.WebSockets;

namespace FlashSale.Tests.Realtime;

[Trait("Category", TestCategory.Unit)]
public sealed class LiveConnectionTests
{
    [Fact]
    public async Task A_socket_that_never_completes_a_send_holds_only_the_latest_frame_per_sale_and_is_aborted_by_the_sweep()
    {
        var stuck = new StuckWebSocket();
        var signals = new SaleSignals();
        var hub = new RealtimeHub(signals);
        var connection = new LiveConnection(stuck, TimeProvider.System, 64, long.MaxValue);
        hub.Register(connection);
        var sale = Guid.NewGuid();
        connection.Subscriptions.Add(sale);
        hub.Subscribe(connection, sale);

        for (var i = 0; i < 10_000; i++)
        {
            hub.Deliver(LiveFrames.Stock(sale, i + 1, 10_000 - i, "active", 0));
        }
        await WaitUntil(() => stuck.Sends == 1);

        Assert.Equal(1, stuck.Sends);
        // The other frames collapsed into the newest one (or, if the first send started late, it took the newest).
        Assert.InRange(connection.PendingCount, 0, 1);
        await Task.Delay(80);
        hub.Sweep(TimeSpan.FromMilliseconds(50), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        Assert.True(stuck.Aborted);
        Assert.True(connection.IsDead);
    }

    [Fact]
    public async Task A_fast_socket_gets_every_frame_while_a_stuck_one_waits_on_the_same_sale()
    {
        var signals = new SaleSignals();
        var hub = new RealtimeHub(signals);
        var sale = Guid.NewGuid();
        var stuck = new StuckWebSocket();
        var fast = new RecordingWebSocket();
        foreach (var socket in new WebSocket[] { stuck, fast })
        {
            var connection = new LiveConnection(socket, TimeProvider.System, 64, long.MaxValue);
            hub.Register(connection);
            connection.Subscriptions.Add(sale);
            hub.Subscribe(connection, sale);
        }

        hub.Deliver(LiveFrames.Stock(sale, 1, 5, "active", 0));
        await WaitUntil(() => fast.Frames.Count == 1);
        hub.Deliver(LiveFrames.Stock(sale, 2, 4, "active", 0));
        await WaitUntil(() => fast.Frames.Count == 2);

        Assert.Contains("\"remainingStock\":4", fast.Frames[1], StringComparison.Ordinal);
        Assert.Equal(1, stuck.Sends);
    }

    [Fact]
    public void A_frame_older_than_one_already_relayed_is_dropped()
    {
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        var connection = new LiveConnection(new StuckWebSocket(), TimeProvider.System, 64, long.MaxValue);
        hub.Subscribe(connection, sale);

        Assert.Equal(1, hub.Deliver(LiveFrames.Stock(sale, 5, 4, "active", 0)));
        Assert.Equal(0, hub.Deliver(LiveFrames.Stock(sale, 4, 5, "active", 0)));
        Assert.Equal((4L, null), hub.LastValues(sale));
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }
}
