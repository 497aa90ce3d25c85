using System.Net.WebSockets;
using System.Text;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Testing.WebSockets;

namespace FlashSale.Tests.Realtime;

/// <summary>
/// A publisher tick's frames of one sale travel as one bundle and reach each socket together (socket by socket), so
/// they leave in one write to the network; a bundle that is not well formed is dropped whole.
/// </summary>
[Trait("Category", TestCategory.Unit)]
public sealed class RelayBundleTests
{
    [Fact]
    public void A_bundle_splits_back_into_the_messages_it_was_made_of()
    {
        var sale = Guid.NewGuid();
        byte[][] messages = [LiveFrames.Stock(sale, 3, 7, "active", 1), LiveFrames.Sale(sale, 3, "sold_out", 1), LiveFrames.Queue(sale, 3, 40, 5, 1)];

        var parts = new List<ReadOnlyMemory<byte>>();
        Assert.True(LiveFrames.TryUnbundle(LiveFrames.Bundle(messages), parts));

        Assert.Equal(messages.Select(Convert.ToHexString), parts.Select(p => Convert.ToHexString(p.Span)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("*")]
    [InlineData("*5|ab")]
    [InlineData("*x|ab")]
    [InlineData("*0|")]
    [InlineData("*-1|a")]
    [InlineData("*2|ab3")]
    [InlineData("*2ab")]
    public void A_malformed_bundle_yields_nothing(string text)
    {
        var parts = new List<ReadOnlyMemory<byte>>();

        Assert.False(LiveFrames.TryUnbundle(Encoding.ASCII.GetBytes(text), parts));
        Assert.Empty(parts);
    }

    [Fact]
    public void A_bundle_reaches_each_socket_whole_before_the_next_socket_gets_any_of_it()
    {
        var log = new List<string>();
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        Subscribed(hub, new LoggingWebSocket("a", log), sale);
        Subscribed(hub, new LoggingWebSocket("b", log), sale);

        var reached = hub.Deliver(LiveFrames.Bundle([LiveFrames.Stock(sale, 3, 0, "sold_out", 1), LiveFrames.Sale(sale, 3, "sold_out", 1), LiveFrames.Queue(sale, 3, 40, 5, 1)]));

        Assert.Equal(2, reached);
        var first = log[0][..1];
        var second = first == "a" ? "b" : "a";
        Assert.Equal([$"{first} stock", $"{first} sale", $"{first} queue", $"{second} stock", $"{second} sale", $"{second} queue"], log);
    }

    [Fact]
    public void A_stale_frame_in_a_bundle_is_left_out_and_the_rest_goes_out()
    {
        var log = new List<string>();
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        Subscribed(hub, new LoggingWebSocket("a", log), sale);
        hub.Deliver(LiveFrames.Stock(sale, 5, 3, "active", 1));
        log.Clear();

        hub.Deliver(LiveFrames.Bundle([LiveFrames.Stock(sale, 4, 9, "active", 1), LiveFrames.Queue(sale, 4, 40, 5, 1)]));

        Assert.Equal(["a queue"], log);
        Assert.Equal((3L, 40L), hub.LastValues(sale));
    }

    [Fact]
    public void A_bundle_for_a_sale_nobody_here_follows_reaches_nobody()
    {
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();

        Assert.Equal(0, hub.Deliver(LiveFrames.Bundle([LiveFrames.Stock(sale, 1, 1, "active", 1), LiveFrames.Queue(sale, 1, 1, 1, 1)])));
    }

    private static void Subscribed(RealtimeHub hub, WebSocket socket, Guid sale)
    {
        var connection = new LiveConnection(socket, TimeProvider.System, 64, long.MaxValue);
        hub.Register(connection);
        connection.Subscriptions.Add(sale);
        hub.Subscribe(connection, sale);
    }

    /// <summary>Completes every send at once and writes "&lt;name&gt; &lt;frame type&gt;" to a log shared by several sockets.</summary>
    private sealed class LoggingWebSocket(string name, List<string> log) : FakeWebSocket
    {
        protected override ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
        {
            var text = Encoding.UTF8.GetString(frame.Span);
            var type = text[(text.IndexOf("\"type\":\"", StringComparison.Ordinal) + 8)..];
            lock (log)
            {
                log.Add($"{name} {type[..type.IndexOf('"', StringComparison.Ordinal)]}");
            }
            return ValueTask.CompletedTask;
        }

        public override Task<WebSocketReceiveResult> ReceiveAsync(ArraySegment<byte> buffer, CancellationToken cancellationToken) =>
            Task.FromResult(new WebSocketReceiveResult(0, WebSocketMessageType.Close, true));
    }
}
