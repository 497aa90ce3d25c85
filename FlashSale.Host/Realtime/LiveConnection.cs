using System.Net.WebSockets;

namespace FlashSale.Host.Realtime;

/// <summary>
/// One subscriber socket and its bounded send queue. Sale frames are keyed by (sale, kind): a newer frame replaces
/// a pending one of the same key in place, so a socket that reads slowly gets the latest stock rather than a backlog,
/// and the queue never holds more than a few frames per subscription. One send is outstanding at a time, run by a
/// drain scheduled on the thread pool, so <see cref="Enqueue"/> never waits on the network: a slow socket cannot
/// delay the broadcaster or the other sockets. A socket whose send is stuck longer than the send timeout, or whose
/// queue overflows (error frames it does not read), is aborted.
/// </summary>
public sealed class LiveConnection
{
    private readonly WebSocket _socket;
    private readonly TimeProvider _clock;
    private readonly int _maxPending;
    private readonly Lock _gate = new();
    private readonly Dictionary<FrameKey, ReadOnlyMemory<byte>> _pending = [];
    private readonly Queue<FrameKey> _order = new();
    private long _serial;
    private bool _sending;
    private long _sendStartedAt;
    private (WebSocketCloseStatus Status, string Reason)? _close;
    private bool _closeSent;
    private int _dead;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LiveConnection(WebSocket socket, TimeProvider clock, int maxPending, long tokenExpiresAtUnixMs)
    {
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _maxPending = maxPending;
        TokenExpiresAtUnixMs = tokenExpiresAtUnixMs;
    }

    private readonly record struct FrameKey(Guid SaleId, FrameKind Kind, long Serial);

    /// <summary>Sales this socket subscribed to; touched by its receive loop (and the hub when it leaves).</summary>
    public HashSet<Guid> Subscriptions { get; } = [];

    public long TokenExpiresAtUnixMs { get; }

    public bool IsDead => Volatile.Read(ref _dead) != 0;

    /// <summary>Frames waiting to be sent (for tests and diagnostics).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _order.Count;
            }
        }
    }

    /// <summary>Queues a sale frame, replacing a pending frame of the same sale and kind.</summary>
    public void Enqueue(Guid saleId, FrameKind kind, ReadOnlyMemory<byte> frame) => Add(new FrameKey(saleId, kind, 0), frame);

    /// <summary>Queues a frame for this socket only (errors, pong): never coalesced.</summary>
    public void EnqueueOwn(ReadOnlyMemory<byte> frame) => Add(new FrameKey(Guid.Empty, 0, Interlocked.Increment(ref _serial)), frame);

    /// <summary>Sends what is queued, then a close frame with <paramref name="status"/>.</summary>
    public void RequestClose(WebSocketCloseStatus status, string reason)
    {
        bool start;
        lock (_gate)
        {
            if (_close is not null)
            {
                return;
            }
            _close = (status, reason);
            start = !_sending;
            _sending = true;
        }
        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.DrainAsync(), this, preferLocal: false);
        }
    }

    /// <summary>True when a send has been outstanding for longer than <paramref name="timeout"/>.</summary>
    public bool IsStuck(TimeSpan timeout)
    {
        var started = Volatile.Read(ref _sendStartedAt);
        return started != 0 && _clock.GetElapsedTime(started) > timeout;
    }

    /// <summary>Waits until the close frame went out or the socket was aborted (at most <paramref name="timeout"/>).</summary>
    public async Task WaitClosedAsync(TimeSpan timeout, TimeProvider clock)
    {
        bool requested;
        lock (_gate)
        {
            requested = _close is not null;
        }
        if (!requested || IsDead)
        {
            return;
        }
        try
        {
            await _closed.Task.WaitAsync(timeout, clock).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Abort();
        }
    }

    /// <summary>Drops the connection at once (no close handshake): its receive loop ends and it leaves the hub.</summary>
    public void Abort()
    {
        if (Interlocked.Exchange(ref _dead, 1) == 0)
        {
            lock (_gate)
            {
                _pending.Clear();
                _order.Clear();
            }
            _socket.Abort();
            _closed.TrySetResult();
        }
    }

    private void Add(FrameKey key, ReadOnlyMemory<byte> frame)
    {
        if (IsDead)
        {
            return;
        }
        bool start;
        bool overflow = false;
        lock (_gate)
        {
            if (_close is not null)
            {
                return;
            }
            if (_pending.ContainsKey(key))
            {
                _pending[key] = frame; // the newer frame takes the older one's place in line
                return;
            }
            if (_order.Count >= _maxPending)
            {
                overflow = true;
                start = false;
            }
            else
            {
                _pending[key] = frame;
                _order.Enqueue(key);
                start = !_sending;
                _sending = true;
            }
        }
        if (overflow)
        {
            Abort(); // cannot keep up: it must not hold memory or slow anyone else
            return;
        }
        if (start)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.DrainAsync(), this, preferLocal: false);
        }
    }

    private async Task DrainAsync()
    {
        try
        {
            while (true)
            {
                ReadOnlyMemory<byte> frame;
                (WebSocketCloseStatus Status, string Reason)? close = null;
                lock (_gate)
                {
                    if (_order.TryDequeue(out var key))
                    {
                        frame = _pending[key];
                        _pending.Remove(key);
                    }
                    else if (_close is { } requested && !_closeSent)
                    {
                        _closeSent = true;
                        close = requested;
                        frame = default;
                    }
                    else
                    {
                        _sending = false;
                        return;
                    }
                }
                if (IsDead || _socket.State is not (WebSocketState.Open or WebSocketState.CloseReceived))
                {
                    lock (_gate)
                    {
                        _sending = false;
                    }
                    _closed.TrySetResult();
                    return;
                }
                Volatile.Write(ref _sendStartedAt, _clock.GetTimestamp());
                if (close is { } c)
                {
                    await _socket.CloseOutputAsync(c.Status, c.Reason, CancellationToken.None).ConfigureAwait(false);
                    _closed.TrySetResult();
                }
                else
                {
                    await _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }
                Volatile.Write(ref _sendStartedAt, 0);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException)
        {
            Volatile.Write(ref _sendStartedAt, 0);
            Abort();
            lock (_gate)
            {
                _sending = false;
            }
        }
    }
}
