using System.Collections.Concurrent;
using System.Net.WebSockets;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Notifications;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;

namespace FlashSale.Host.Realtime;

/// <summary>
/// This host's subscribers by sale. <see cref="Deliver"/> takes one relay message (from Redis pub/sub, or straight
/// from the publisher without Redis) and hands the same frame bytes to every local subscriber of the sale: an idle
/// socket gets it at once on this thread, a busy one queues it (see <see cref="LiveConnection"/>), so fan-out never
/// waits on a socket.
/// </summary>
public sealed class RealtimeHub(SaleSignals signals, TimeProvider? clock = null) : ILineFollowers, IShopperSockets
{
    private readonly ConcurrentDictionary<Guid, SaleTopic> _topics = new();
    private readonly ConcurrentDictionary<LiveConnection, byte> _connections = new();
    // (sale, user) → this host's open subscriptions of that shopper to that sale (a shopper may have several tabs).
    private readonly ConcurrentDictionary<(Guid SaleId, Guid UserId), int> _shoppers = new();
    // user → this host's open sockets of that shopper, whatever they follow: frames for one shopper (reminders).
    private readonly ConcurrentDictionary<Guid, ShopperSockets> _byUser = new();

    public int ConnectionCount => _connections.Count;

    /// <summary>Shoppers with at least one open socket on this host.</summary>
    public int ShoppersWithSockets => _byUser.Count;

    public ICollection<LiveConnection> Connections => _connections.Keys;

    /// <summary>Sales with at least one subscriber on this host.</summary>
    public IEnumerable<Guid> WatchedSales => _topics.Where(t => t.Value.Count > 0).Select(t => t.Key);

    public int SubscriberCount(Guid saleId) => _topics.TryGetValue(saleId, out var topic) ? topic.Count : 0;

    /// <summary>The last stock and queue values this host relayed for the sale (null when none yet).</summary>
    public (long? Stock, long? Through) LastValues(Guid saleId) =>
        _topics.TryGetValue(saleId, out var topic) ? topic.LastValues() : (null, null);

    public void Register(LiveConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connections.TryAdd(connection, 0))
        {
            HostMetrics.SocketsOpen.Add(1);
        }
        if (connection.UserId != Guid.Empty)
        {
            // A set its shopper's last socket just emptied is retired: drop it from the index (if its Unregister has not
            // yet) and take a new one.
            ShopperSockets sockets;
            while (!(sockets = _byUser.GetOrAdd(connection.UserId, static _ => new())).TryAdd(connection))
            {
                _byUser.TryRemove(KeyValuePair.Create(connection.UserId, sockets));
            }
        }
    }

    /// <summary>Hands a frame about <paramref name="saleId"/> to every open socket of these shoppers here.</summary>
    public int SendToShoppers(Guid saleId, IEnumerable<Guid> userIds, byte[] frame)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        var sent = 0;
        foreach (var userId in userIds)
        {
            if (_byUser.TryGetValue(userId, out var sockets))
            {
                sent += sockets.Deliver(saleId, frame);
            }
        }
        return sent;
    }

    /// <summary>
    /// Whether the shopper follows the sale on a socket of this host: then the line's frames reach that shopper and
    /// the waiting room tells it not to poll.
    /// </summary>
    public bool IsFollowing(Guid saleId, Guid userId) => userId != Guid.Empty && _shoppers.ContainsKey((saleId, userId));

    public IEnumerable<(Guid SaleId, Guid UserId)> Followers => _shoppers.Keys;

    public void Unregister(LiveConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_connections.TryRemove(connection, out _))
        {
            HostMetrics.SocketsOpen.Add(-1);
        }
        if (_byUser.TryGetValue(connection.UserId, out var sockets) && sockets.RemoveLast(connection))
        {
            // Only this very set: a Register that raced the removal either got in before it (and the set was not empty)
            // or finds the set retired and makes a new one.
            _byUser.TryRemove(KeyValuePair.Create(connection.UserId, sockets));
        }
        foreach (var saleId in connection.Subscriptions)
        {
            if (_topics.TryGetValue(saleId, out var topic) && topic.Remove(connection))
            {
                Unfollow(saleId, connection.UserId);
            }
        }
        connection.Subscriptions.Clear();
    }

    /// <summary>
    /// Subscribes and sends the sale's latest frames this host knows; asks the publisher for a fresh snapshot when
    /// it knows none (or this is the sale's first subscriber here, so what it knows may be old).
    /// </summary>
    public void Subscribe(LiveConnection connection, Guid saleId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var topic = _topics.GetOrAdd(saleId, static _ => new SaleTopic());
        var (first, added) = topic.Add(connection);
        if (added && connection.UserId != Guid.Empty)
        {
            _shoppers.AddOrUpdate((saleId, connection.UserId), 1, static (_, n) => n + 1);
        }
        var known = topic.SendLatest(connection, saleId);
        if (first || !known)
        {
            signals.Mark(saleId, SaleSignals.Stock | SaleSignals.Queue);
        }
    }

    public void Unsubscribe(LiveConnection connection, Guid saleId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        if (_topics.TryGetValue(saleId, out var topic) && topic.Remove(connection))
        {
            Unfollow(saleId, connection.UserId);
        }
    }

    private void Unfollow(Guid saleId, Guid userId)
    {
        if (userId == Guid.Empty)
        {
            return;
        }
        var key = (saleId, userId);
        while (_shoppers.TryGetValue(key, out var n))
        {
            if (n <= 1 ? _shoppers.TryRemove(KeyValuePair.Create(key, n)) : _shoppers.TryUpdate(key, n - 1, n))
            {
                return;
            }
        }
    }

    /// <summary>
    /// Relays one message, or a bundle of one sale's messages (<see cref="LiveFrames.Bundle"/>), to this host's
    /// subscribers of its sale. Returns how many sockets got it.
    /// </summary>
    public int Deliver(ReadOnlyMemory<byte> message)
    {
        var parts = new List<ReadOnlyMemory<byte>>(4);
        if (message.IsEmpty || message.Span[0] != LiveFrames.BundleMarker)
        {
            parts.Add(message);
        }
        else if (!LiveFrames.TryUnbundle(message, parts))
        {
            return 0;
        }
        var frames = new List<(FrameKind Kind, ReadOnlyMemory<byte> Frame)>(parts.Count);
        Guid saleId = default;
        SaleTopic? topic = null;
        LiveConnection[]? subscribers = null;
        foreach (var part in parts)
        {
            if (!LiveFrames.TryParse(part, out var partSale, out var kind, out var seq, out var value, out var frame))
            {
                continue;
            }
            if (topic is null)
            {
                saleId = partSale;
                if (!_topics.TryGetValue(saleId, out topic))
                {
                    return 0;
                }
            }
            else if (partSale != saleId)
            {
                continue; // a bundle is one sale's, as the publisher builds it
            }
            // A frame older than one of its kind already relayed is dropped. The latest snapshot of the members is
            // used: one that subscribed between two frames got the earlier ones from SendLatest, and gets a duplicate
            // rather than missing a later one.
            if (topic.Accept(kind, seq, value, frame) is { } accepted)
            {
                frames.Add((kind, frame));
                subscribers = accepted;
            }
        }
        if (subscribers is null)
        {
            return 0;
        }
        // Socket by socket: each subscriber gets every frame of a bundle before the next subscriber gets any, so the
        // frames sit in its connection's output together and leave in one write (one system call on each side)
        // instead of one write per frame with 10,000 other sockets' writes in between.
        foreach (var connection in subscribers)
        {
            foreach (var (kind, frame) in frames)
            {
                connection.Deliver(saleId, kind, frame);
            }
        }
        CountFanOut(saleId, subscribers.Length, frames.Count, frames[0].Frame); // one tick's frames share their sentAt
        return subscribers.Length;
    }

    /// <summary>Once per fan-out, not per socket: the frames handed out and how late they reached the last socket.</summary>
    private void CountFanOut(Guid saleId, int sockets, int framesEach, ReadOnlyMemory<byte> frame)
    {
        if (HostMetrics.Frames.Enabled)
        {
            var sentAt = LiveFrames.SentAt(frame.Span);
            var now = (clock ?? TimeProvider.System).GetUtcNow().ToUnixTimeMilliseconds();
            HostMetrics.CountFrames(saleId, sockets * framesEach, sentAt > 0 ? now - sentAt : -1);
        }
    }

    /// <summary>Aborts sockets stuck in a send and closes those whose token expired (4401).</summary>
    public void Sweep(TimeSpan sendTimeout, long nowUnixMs)
    {
        foreach (var connection in _connections.Keys)
        {
            if (connection.IsStuck(sendTimeout))
            {
                connection.Abort();
            }
            else if (connection.TokenExpiresAtUnixMs <= nowUnixMs)
            {
                connection.RequestClose((WebSocketCloseStatus)LiveCloseCodes.TokenExpired, "The access token expired; reconnect with a fresh one.");
            }
        }
    }

    private sealed class SaleTopic
    {
        private readonly Lock _gate = new();
        private readonly HashSet<LiveConnection> _members = [];
        private LiveConnection[]? _snapshot;
        private readonly ReadOnlyMemory<byte>[] _latest = new ReadOnlyMemory<byte>[4];
        private readonly long[] _latestSeq = new long[4];
        private long? _stock;
        private long? _through;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _members.Count;
                }
            }
        }

        /// <summary>Adds the socket; says whether it is the topic's only member and whether it was new.</summary>
        public (bool First, bool Added) Add(LiveConnection connection)
        {
            lock (_gate)
            {
                var added = _members.Add(connection);
                if (added)
                {
                    _snapshot = null;
                }
                return (_members.Count == 1, added);
            }
        }

        public bool Remove(LiveConnection connection)
        {
            lock (_gate)
            {
                if (!_members.Remove(connection))
                {
                    return false;
                }
                _snapshot = null;
                return true;
            }
        }

        public (long? Stock, long? Through) LastValues()
        {
            lock (_gate)
            {
                return (_stock, _through);
            }
        }

        /// <summary>Records the frame as the latest of its kind and returns who gets it; null when it is stale.</summary>
        public LiveConnection[]? Accept(FrameKind kind, long seq, long value, ReadOnlyMemory<byte> frame)
        {
            var slot = Slot(kind);
            lock (_gate)
            {
                if (seq != 0 && seq < _latestSeq[slot])
                {
                    return null;
                }
                if (seq != 0)
                {
                    _latestSeq[slot] = seq;
                }
                _latest[slot] = frame;
                if (kind == FrameKind.Stock)
                {
                    _stock = value;
                }
                else if (kind == FrameKind.Queue)
                {
                    _through = value;
                }
                return _snapshot ??= [.. _members];
            }
        }

        public bool SendLatest(LiveConnection connection, Guid saleId)
        {
            var known = false;
            lock (_gate)
            {
                for (var slot = 0; slot < _latest.Length; slot++)
                {
                    if (!_latest[slot].IsEmpty)
                    {
                        connection.Enqueue(saleId, Kinds[slot], _latest[slot]);
                        known |= slot == 0;
                    }
                }
            }
            return known;
        }

        private static readonly FrameKind[] Kinds = [FrameKind.Stock, FrameKind.Queue, FrameKind.Price, FrameKind.Sale];

        private static int Slot(FrameKind kind) => kind switch
        {
            FrameKind.Stock => 0,
            FrameKind.Queue => 1,
            FrameKind.Price => 2,
            _ => 3,
        };
    }

    /// <summary>
    /// One shopper's open sockets on this host. Emptied, it is retired under its lock before it leaves the index, so a
    /// socket is never added to a set that is no longer reachable (<see cref="Register"/> then makes a new one).
    /// </summary>
    private sealed class ShopperSockets
    {
        private readonly Lock _gate = new();
        private readonly HashSet<LiveConnection> _sockets = [];
        private bool _retired;

        public bool TryAdd(LiveConnection connection)
        {
            lock (_gate)
            {
                if (_retired)
                {
                    return false;
                }
                _sockets.Add(connection);
                return true;
            }
        }

        /// <summary>Removes the socket; true when it was the last one (the set is then retired for good).</summary>
        public bool RemoveLast(LiveConnection connection)
        {
            lock (_gate)
            {
                _retired |= _sockets.Remove(connection) && _sockets.Count == 0;
                return _retired;
            }
        }

        /// <summary>Hands the frame to each socket, outside the lock (reminders are rare; the copy is cheap).</summary>
        public int Deliver(Guid saleId, byte[] frame)
        {
            LiveConnection[] sockets;
            lock (_gate)
            {
                sockets = [.. _sockets];
            }
            foreach (var connection in sockets)
            {
                connection.Deliver(saleId, FrameKind.Reminder, frame);
            }
            return sockets.Length;
        }
    }
}

/// <summary>The application close codes of <c>/ws</c> (4000-4999 are the application's).</summary>
public static class LiveCloseCodes
{
    /// <summary>The access token expired while the socket was open: refresh it and reconnect.</summary>
    public const int TokenExpired = 4401;
}
