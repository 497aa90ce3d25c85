using System.Net.WebSockets;
using System.Text;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Testing.WebSockets;

namespace FlashSale.Tests.Realtime;

/// <summary>How a broadcast frame leaves: at once on the delivering thread for an idle socket, queued (latest wins) behind a send that is still out.</summary>
[Trait("Category", TestCategory.Unit)]
public sealed class LiveConnectionSendTests
{
    [Fact]
    public void An_idle_socket_gets_a_broadcast_frame_on_the_delivering_thread()
    {
        var socket = new GatedWebSocket();
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        var connection = Subscribed(hub, socket, sale);

        hub.Deliver(LiveFrames.Stock(sale, 1, 5, "active", 0));

        // No await and no wait: the frame went out before Deliver returned, from this thread.
        Assert.Equal([Environment.CurrentManagedThreadId], socket.SendThreads);
        Assert.Contains("\"remainingStock\":5", Assert.Single(socket.Frames), StringComparison.Ordinal);
        Assert.Equal(0, connection.PendingCount);
    }

    [Fact]
    public async Task Frames_delivered_while_a_send_is_out_follow_it_in_order_with_only_the_latest_stock()
    {
        var socket = new GatedWebSocket { Hold = true };
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        var connection = Subscribed(hub, socket, sale);

        hub.Deliver(LiveFrames.Stock(sale, 1, 9, "active", 0)); // goes out, does not complete
        hub.Deliver(LiveFrames.Queue(sale, 1, 100, 50, 0));
        hub.Deliver(LiveFrames.Stock(sale, 2, 8, "active", 0));
        hub.Deliver(LiveFrames.Stock(sale, 3, 7, "active", 0)); // replaces the pending stock frame in its place
        Assert.Equal(2, connection.PendingCount);

        socket.Hold = false;
        socket.Release();
        await WaitUntil(() => socket.Frames.Count == 3);

        var frames = socket.Frames;
        Assert.Contains("\"remainingStock\":9", frames[0], StringComparison.Ordinal);
        Assert.Contains("\"admittedThrough\":100", frames[1], StringComparison.Ordinal);
        Assert.Contains("\"remainingStock\":7", frames[2], StringComparison.Ordinal);
        Assert.Equal(0, connection.PendingCount);

        hub.Deliver(LiveFrames.Stock(sale, 4, 6, "active", 0)); // straight out, or after the drain's last step
        await WaitUntil(() => socket.Frames.Count == 4);
        Assert.Contains("\"remainingStock\":6", socket.Frames[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_socket_whose_queue_drained_holds_no_queue_any_more()
    {
        // Every subscription queues the sale's latest frames (Enqueue), so every socket once had a queue; with 10,000
        // idle sockets a queue each kept for hours is ≈ 2 MB (a heap dump found 2,390 of 3,000 sockets holding one).
        var socket = new GatedWebSocket();
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        hub.Deliver(LiveFrames.Stock(sale, 1, 5, "active", 0)); // no subscriber yet: nothing is kept
        var connection = Subscribed(hub, socket, sale);
        hub.Deliver(LiveFrames.Stock(sale, 2, 4, "active", 0));
        connection.Enqueue(sale, FrameKind.Queue, LiveFrames.Queue(sale, 1, 100, 50, 0));
        await WaitUntil(() => socket.Frames.Count >= 2 && connection.PendingCount == 0);

        await WaitUntil(() => !connection.HoldsSendQueue);
        Assert.False(connection.HoldsSendQueue, "the drained queue was dropped");

        var held = new GatedWebSocket { Hold = true };
        var busy = Subscribed(hub, held, sale); // the sale's latest stock goes out and stays out
        await WaitUntil(() => held.SendThreads.Count == 1);
        hub.Deliver(LiveFrames.Stock(sale, 3, 3, "active", 0)); // queued behind it
        Assert.True(busy.HoldsSendQueue, "a socket with a send out queues");
        held.Hold = false;
        held.Release();
        await WaitUntil(() => held.Frames.Count >= 2 && !busy.HoldsSendQueue);
        Assert.Contains("\"remainingStock\":3", held.Frames[^1], StringComparison.Ordinal);
        Assert.False(busy.HoldsSendQueue, "the drained queue was dropped");
    }

    [Fact]
    public async Task A_close_requested_while_a_broadcast_send_is_out_goes_after_the_queued_frames()
    {
        var socket = new GatedWebSocket { Hold = true };
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        var connection = Subscribed(hub, socket, sale);

        hub.Deliver(LiveFrames.Stock(sale, 1, 9, "active", 0));
        hub.Deliver(LiveFrames.Stock(sale, 2, 8, "active", 0));
        connection.RequestClose(WebSocketCloseStatus.EndpointUnavailable, "bye");
        hub.Deliver(LiveFrames.Stock(sale, 3, 7, "active", 0)); // after the close request: dropped

        socket.Hold = false;
        socket.Release();
        await WaitUntil(() => socket.CloseStatus is not null);

        Assert.Equal(2, socket.Frames.Count);
        Assert.Contains("\"remainingStock\":8", socket.Frames[1], StringComparison.Ordinal);
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, socket.CloseStatus);
    }

    [Fact]
    public void A_socket_that_refuses_a_send_is_aborted_and_the_fan_out_goes_on_to_the_next()
    {
        var refusing = new GatedWebSocket { Refuse = true };
        var fine = new GatedWebSocket();
        var hub = new RealtimeHub(new SaleSignals());
        var sale = Guid.NewGuid();
        var first = Subscribed(hub, refusing, sale);
        Subscribed(hub, fine, sale);

        Assert.Equal(2, hub.Deliver(LiveFrames.Stock(sale, 1, 5, "active", 0)));

        Assert.True(first.IsDead);
        Assert.Single(fine.Frames);
    }

    private static LiveConnection Subscribed(RealtimeHub hub, WebSocket socket, Guid sale)
    {
        var connection = new LiveConnection(socket, TimeProvider.System, 64, long.MaxValue);
        hub.Register(connection);
        connection.Subscriptions.Add(sale);
        hub.Subscribe(connection, sale);
        return connection;
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (var i = 0; i < 300 && !condition(); i++)
        {
            await Task.Delay(10);
        }
    }

    /// <summary>Records sends; while <see cref="Hold"/> is set a send stays out until <see cref="Release"/>.</summary>
    private sealed class GatedWebSocket : FakeWebSocket
    {
        private readonly Lock _gate = new();
        private readonly List<string> _frames = [];
        private readonly List<int> _threads = [];
        private TaskCompletionSource? _held;
        private WebSocketCloseStatus? _closeStatus;

        public bool Hold { get; set; }

        /// <summary>Throws from SendAsync at once, as a WebSocket does when its state refuses a send.</summary>
        public bool Refuse { get; init; }

        public List<string> Frames
        {
            get
            {
                lock (_gate)
                {
                    return [.. _frames];
                }
            }
        }

        public List<int> SendThreads
        {
            get
            {
                lock (_gate)
                {
                    return [.. _threads];
                }
            }
        }

        public void Release()
        {
            TaskCompletionSource? held;
            lock (_gate)
            {
                held = _held;
                _held = null;
            }
            held?.SetResult();
        }

        public override WebSocketCloseStatus? CloseStatus
        {
            get
            {
                lock (_gate)
                {
                    return _closeStatus;
                }
            }
        }

        public override Task CloseAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken) =>
            CloseOutputAsync(closeStatus, statusDescription, cancellationToken);

        public override Task CloseOutputAsync(WebSocketCloseStatus closeStatus, string? statusDescription, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _closeStatus = closeStatus;
            }
            return Task.CompletedTask;
        }

        protected override ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
        {
            if (Refuse)
            {
                throw new InvalidOperationException("The socket refuses sends.");
            }
            lock (_gate)
            {
                _frames.Add(Encoding.UTF8.GetString(frame.Span));
                _threads.Add(Environment.CurrentManagedThreadId);
                if (!Hold)
                {
                    return ValueTask.CompletedTask;
                }
                _held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                return new ValueTask(_held.Task);
            }
        }
    }
}
