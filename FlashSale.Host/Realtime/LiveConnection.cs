using System.Net.WebSockets;

namespace FlashSale.Host.Realtime;

/// <summary>
/// One subscriber socket and its bounded send queue. Sale frames are keyed by (sale, kind): a newer frame replaces
/// a pending one of the same key in place, so a socket that reads slowly gets the latest stock rather than a backlog,
/// and the queue never holds more than a few frames per subscription. One send is outstanding at a time.
/// <para>
/// Broadcast frames (<see cref="Deliver"/>) are sent on the caller's thread when the socket is idle: a WebSocket send
/// normally completes synchronously (it only copies the frame into the connection's output pipe; Kestrel's transport
/// writes it to the network), so one event to 10,000 idle sockets costs no work item, task or queue entry per socket.
/// Only when a send does not complete at once (the pipe is full: a slow reader) does the rest of that socket's queue
/// move to an asynchronous drain, so a slow socket never delays the broadcaster or anyone else. Frames queued from
/// elsewhere (<see cref="Enqueue"/>, <see cref="EnqueueOwn"/>: subscriptions, errors, pongs) are sent by a drain on
/// the thread pool, because their callers hold locks or run the receive loop. A socket whose send is stuck longer than
/// the send timeout, or whose queue overflows (error frames it does not read), is aborted.
/// </para>
/// </summary>
public sealed class LiveConnection
{
    private readonly WebSocket _socket;
    private readonly TimeProvider _clock;
    private readonly int _maxPending;
    private readonly Lock _gate = new();
    // Frames waiting while a send is outstanding, oldest first. Created when needed and dropped once drained: most
    // sockets are idle when a frame arrives (a list, not a dictionary and a queue: it holds a few entries, searched by key).
    private List<Pending>? _pending;
    private long _serial;
    private bool _sending;
    private long _sendStartedAt;
    private (WebSocketCloseStatus Status, string Reason)? _close;
    private bool _closeSent;
    private int _dead;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LiveConnection(WebSocket socket, TimeProvider clock, int maxPending, long tokenExpiresAtUnixMs, Guid userId = default)
    {
        UserId = userId;
        _socket = socket ?? throw new ArgumentNullException(nameof(socket));
        _clock = clock ?? throw new ArgumentNullException(nameof(clock));
        _maxPending = maxPending;
        TokenExpiresAtUnixMs = tokenExpiresAtUnixMs;
    }

    private readonly record struct FrameKey(Guid SaleId, FrameKind Kind, long Serial);

    private record struct Pending(FrameKey Key, ReadOnlyMemory<byte> Frame);

    /// <summary>Sales this socket subscribed to; touched by its receive loop (and the hub when it leaves).</summary>
    public HashSet<Guid> Subscriptions { get; } = [];

    public long TokenExpiresAtUnixMs { get; }

    /// <summary>The shopper whose token opened the socket (<see cref="Guid.Empty"/> when unknown): the waiting room's
    /// "this socket follows the line", the per-user cap and the revocation sweep.</summary>
    public Guid UserId { get; }

    /// <summary>The owner's security stamp when the socket opened; a newer one closes it (SocketRevocationSweep).</summary>
    public int SecurityStamp { get; init; }

    public bool IsDead => Volatile.Read(ref _dead) != 0;

    /// <summary>Whether the socket holds a send queue now (for tests: an idle socket should hold none).</summary>
    internal bool HoldsSendQueue
    {
        get
        {
            lock (_gate)
            {
                return _pending is not null;
            }
        }
    }

    /// <summary>Frames waiting to be sent (for tests and diagnostics).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending?.Count ?? 0;
            }
        }
    }

    /// <summary>
    /// Sends a broadcast sale frame now, on this thread, when the socket is idle; otherwise queues it, replacing a
    /// pending frame of the same sale and kind. Never waits on the network.
    /// </summary>
    public void Deliver(Guid saleId, FrameKind kind, ReadOnlyMemory<byte> frame) => Add(new FrameKey(saleId, kind, 0), frame, inline: true);

    /// <summary>Queues a sale frame, replacing a pending frame of the same sale and kind (sent from the thread pool).</summary>
    public void Enqueue(Guid saleId, FrameKind kind, ReadOnlyMemory<byte> frame) => Add(new FrameKey(saleId, kind, 0), frame, inline: false);

    /// <summary>Queues a frame for this socket only (errors, pong): never coalesced.</summary>
    public void EnqueueOwn(ReadOnlyMemory<byte> frame) => Add(new FrameKey(Guid.Empty, 0, Interlocked.Increment(ref _serial)), frame, inline: false);

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
            ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.DrainAsync(default), this, preferLocal: false);
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
                _pending?.Clear();
            }
            _socket.Abort();
            _closed.TrySetResult();
        }
    }

    private void Add(FrameKey key, ReadOnlyMemory<byte> frame, bool inline)
    {
        if (IsDead)
        {
            return;
        }
        Next next;
        lock (_gate)
        {
            if (_close is not null)
            {
                return;
            }
            if (_sending)
            {
                next = Replace(key, frame) || Append(key, frame) ? Next.Nothing : Next.Overflow;
            }
            else if (inline)
            {
                _sending = true;
                next = Next.SendHere;
            }
            else if (Append(key, frame))
            {
                _sending = true;
                next = Next.Drain;
            }
            else
            {
                next = Next.Overflow;
            }
        }
        switch (next)
        {
            case Next.SendHere:
                SendNow(frame);
                break;
            case Next.Drain:
                ThreadPool.UnsafeQueueUserWorkItem(static c => _ = c.DrainAsync(default), this, preferLocal: false);
                break;
            case Next.Overflow:
                Abort(); // cannot keep up: it must not hold memory or slow anyone else
                break;
        }
    }

    private enum Next
    {
        Nothing,
        SendHere,
        Drain,
        Overflow,
    }

    /// <summary>A newer frame takes the older one's place in line. Called under the gate.</summary>
    private bool Replace(FrameKey key, ReadOnlyMemory<byte> frame)
    {
        if (_pending is null || key.Serial != 0)
        {
            return false;
        }
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_pending);
        for (var i = 0; i < span.Length; i++)
        {
            if (span[i].Key == key)
            {
                span[i].Frame = frame;
                return true;
            }
        }
        return false;
    }

    /// <summary>Queues at the back; false when the queue is full. Called under the gate.</summary>
    private bool Append(FrameKey key, ReadOnlyMemory<byte> frame)
    {
        _pending ??= new List<Pending>(4);
        if (_pending.Count >= _maxPending)
        {
            return false;
        }
        _pending.Add(new Pending(key, frame));
        return true;
    }

    /// <summary>
    /// Sends on the caller's thread while sends complete synchronously; the first one that does not is awaited by
    /// <see cref="DrainAsync"/>, which then sends whatever queued meanwhile. The caller set <c>_sending</c>.
    /// </summary>
    private void SendNow(ReadOnlyMemory<byte> frame)
    {
        while (true)
        {
            if (!SocketWritable())
            {
                return;
            }
            ValueTask send;
            Volatile.Write(ref _sendStartedAt, _clock.GetTimestamp());
            try
            {
                send = _socket.SendAsync(frame, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
            catch (Exception e) when (IsSocketFailure(e))
            {
                Failed();
                return;
            }
            if (!send.IsCompleted)
            {
                _ = DrainAsync(send);
                return;
            }
            try
            {
                send.GetAwaiter().GetResult();
            }
            catch (Exception e) when (IsSocketFailure(e))
            {
                Failed();
                return;
            }
            Volatile.Write(ref _sendStartedAt, 0);
            lock (_gate)
            {
                if (_pending is not { Count: > 0 } || _close is not null)
                {
                    // Nothing more, or a close to send: the close handshake is the drain's job.
                    if (_close is null)
                    {
                        _sending = false;
                        _pending = null;
                        return;
                    }
                }
                else
                {
                    frame = _pending[0].Frame;
                    _pending.RemoveAt(0);
                    continue;
                }
            }
            _ = DrainAsync(default);
            return;
        }
    }

    /// <summary>Completes <paramref name="inFlight"/> (if any), then sends what is queued and the close frame, if asked.</summary>
    private async Task DrainAsync(ValueTask inFlight)
    {
        try
        {
            await inFlight.ConfigureAwait(false);
            Volatile.Write(ref _sendStartedAt, 0);
            while (true)
            {
                ReadOnlyMemory<byte> frame;
                (WebSocketCloseStatus Status, string Reason)? close = null;
                lock (_gate)
                {
                    if (_pending is { Count: > 0 })
                    {
                        frame = _pending[0].Frame;
                        _pending.RemoveAt(0);
                    }
                    else if (_close is { } requested && !_closeSent)
                    {
                        _closeSent = true;
                        close = requested;
                        frame = default;
                    }
                    else
                    {
                        // Drained: an idle socket holds no queue (every subscription queued one, kept for hours).
                        _sending = false;
                        _pending = null;
                        return;
                    }
                }
                if (!SocketWritable())
                {
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
        catch (Exception e) when (IsSocketFailure(e))
        {
            Failed();
        }
    }

    /// <summary>False (and the send loop ends) when the socket was aborted or is no longer open for sending.</summary>
    private bool SocketWritable()
    {
        if (!IsDead && _socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            return true;
        }
        lock (_gate)
        {
            _sending = false;
        }
        _closed.TrySetResult();
        return false;
    }

    private void Failed()
    {
        Volatile.Write(ref _sendStartedAt, 0);
        Abort();
        lock (_gate)
        {
            _sending = false;
        }
    }

    // InvalidOperationException too: a send can now run on the fan-out's thread, and a socket in a state that refuses
    // sends must end that socket, not the fan-out to everyone after it.
    private static bool IsSocketFailure(Exception e) =>
        e is WebSocketException or IOException or ObjectDisposedException or OperationCanceledException or InvalidOperationException;
}
