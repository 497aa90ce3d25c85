using System.Collections.Concurrent;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>What joining the line (or asking for one's place) answered.</summary>
public enum QueueOutcome
{
    /// <summary>The shopper holds <see cref="QueuePlace.Ticket"/> (waiting or admitted).</summary>
    InLine,
    /// <summary>Redis holds no state for the sale (install it with the stock authority and ask again).</summary>
    NoSaleState,
    /// <summary>The sale does not use a waiting room.</summary>
    NoWaitingRoom,
    /// <summary>The shopper holds no live place (never joined, or the admission lapsed or was used up).</summary>
    NotInLine,
    /// <summary>A join was refused: the sale has nothing left (shoppers already in line keep their places).</summary>
    SoldOut,
    /// <summary>The shopper is in the pre-queue: the draw at the start gives the tickets (<see cref="QueuePlace.Position"/> = entrants).</summary>
    Entrant,
}

/// <summary>
/// A shopper's place in a sale's line. <see cref="Position"/> counts only the present shoppers ahead (0 once
/// admitted); <see cref="AdmittedThrough"/> is how far the line has moved (tickets up to it were admitted or skipped).
/// <see cref="Fresh"/> is true when this very call handed the ticket out (the host journals it before answering);
/// <see cref="Paused"/> while the operator holds the line's admission (the place is kept, nobody new is let in).
/// </summary>
public readonly record struct QueuePlace(QueueOutcome Outcome, long Ticket, long AdmittedThrough, bool Admitted, long AdmittedUntilUnixMs,
    long Position = 0, bool Fresh = false, bool Paused = false);

/// <summary>
/// What one admission step did. <see cref="Leader"/> is false when another host holds the lease;
/// <see cref="PresenceChanges"/> counts shoppers it found away or whose abandoned place it dropped. What the host
/// journals: the state's <see cref="Epoch"/>, the tickets admitted (all until <see cref="DeadlineUnixMs"/>) and the
/// tickets abandoned.
/// </summary>
public readonly record struct AdmissionStep(bool Leader, bool SaleKnown, long AdmittedThrough, long Issued, long LiveAdmissions,
    int RemainingStock, int AdmittedNow, int PresenceChanges = 0, long Epoch = 0, long DeadlineUnixMs = 0,
    IReadOnlyList<(long Ticket, Guid UserId)>? AdmittedTickets = null, IReadOnlyList<long>? AbandonedTickets = null);

/// <summary>A pre-queue closed for its draw: the state's epoch and the entrants (see <see cref="RedisWaitingRoom.CloseEntriesAsync"/>).</summary>
public readonly record struct DrawEntries(bool Leader, bool Pending, long Epoch, Guid[] Entrants);

/// <summary>How a line is advanced: the sale's rate and window, and the host's presence and lease settings.</summary>
/// <param name="RatePerSecond">Admissions per second.</param>
/// <param name="WindowMs">How long an admitted shopper may take to buy.</param>
/// <param name="AdmittedPerRemainingUnit">Live admissions may be at most this many per unit still in stock.</param>
/// <param name="LeaseMs">Lease time to live; the holder renews it at every step.</param>
/// <param name="MaxPerStep">Most admissions one step makes (bounds the script's run time).</param>
/// <param name="PresenceMs">A shopper not seen for this long is absent: skipped, keeping the ticket.</param>
/// <param name="AbandonMs">A shopper not seen for this long has abandoned the place: the ticket is gone.</param>
public readonly record struct AdmissionPolicy(int RatePerSecond, long WindowMs, int AdmittedPerRemainingUnit, long LeaseMs, int MaxPerStep,
    long PresenceMs, long AbandonMs);

/// <summary>
/// A line's raw figures (<see cref="RedisWaitingRoom.StatsAsync"/>): tickets issued, how far the line moved, whether
/// it is paused, places abandoned, admissions made in all, absent places still ahead of the line and skipped ones behind
/// it, skipped shoppers who came back, live admissions, shoppers holding units, the sale's total and remaining stock,
/// its opening and Redis' clock (unix ms).
/// </summary>
public readonly record struct LineStats(long Issued, long AdmittedThrough, bool Paused, long Abandoned, long AdmittedTotal, long AbsentWaiting,
    long Skipped, long Returning, long LiveAdmissions, long Buyers, long TotalStock, long RemainingStock, long StartsUnixMs, long NowUnixMs);

/// <summary>
/// What live frames show about a sale, read atomically; <see cref="Sequence"/> orders snapshots across hosts.
/// <see cref="Returning"/> counts skipped shoppers who came back (admitted first); <see cref="AbsentAhead"/> holds
/// (ticket, absent tickets after <see cref="AdmittedThrough"/> up to it) pairs, flattened, empty while nobody is away.
/// <see cref="Restocked"/> is true once, when a sold-out sale is on sale again (units came back); <see cref="Paused"/>
/// while the operator holds admission.
/// </summary>
public readonly record struct SaleSnapshot(long Sequence, int RemainingStock, string Status, bool StatusChanged, long AdmittedThrough,
    bool WaitingRoom, long Returning = 0, long[]? AbsentAhead = null, bool Restocked = false, bool Paused = false);

/// <summary>
/// The waiting room in Redis: tickets (one per shopper, handed out in join order by one Lua call), the per-sale
/// "admitted through ticket T" counter advanced by the lease holder at the sale's rate and within the stock cap,
/// and the admission deadlines the purchase script checks (<see cref="RedisSaleKeys.Admitted"/>). Every key of a
/// sale shares its hash tag, so each call is one atomic script, also on Redis Cluster.
/// </summary>
public sealed class RedisWaitingRoom(IConnectionMultiplexer redis)
{
    private readonly IConnectionMultiplexer _redis = redis ?? throw new ArgumentNullException(nameof(redis));
    private readonly ConcurrentDictionary<Guid, RedisSaleKeys> _keys = new();
    private readonly RedisScript _join = new(WaitingRoomScripts.JoinMany);
    private readonly RedisScript _admit = new(WaitingRoomScripts.Admit);
    private readonly RedisScript _snapshot = new(WaitingRoomScripts.Snapshot);
    private readonly RedisScript _touch = new(WaitingRoomScripts.Touch);
    private readonly RedisScript _stats = new(WaitingRoomScripts.Stats);
    private readonly RedisScript _revoke = new(WaitingRoomScripts.Revoke);
    private readonly RedisScript _close = new(WaitingRoomScripts.CloseEntries);
    private readonly RedisScript _applyDraw = new(WaitingRoomScripts.ApplyDraw);
    private readonly RedisScript _setPause = new(WaitingRoomScripts.SetPause);
    private readonly RedisScript _setPrequeue = new(WaitingRoomScripts.SetPrequeue);

    public async Task LoadScriptsAsync()
    {
        await _join.LoadAsync(_redis).ConfigureAwait(false);
        await _admit.LoadAsync(_redis).ConfigureAwait(false);
        await _snapshot.LoadAsync(_redis).ConfigureAwait(false);
        await _touch.LoadAsync(_redis).ConfigureAwait(false);
        await _stats.LoadAsync(_redis).ConfigureAwait(false);
        await _revoke.LoadAsync(_redis).ConfigureAwait(false);
        await _close.LoadAsync(_redis).ConfigureAwait(false);
        await _applyDraw.LoadAsync(_redis).ConfigureAwait(false);
        await _setPause.LoadAsync(_redis).ConfigureAwait(false);
        await _setPrequeue.LoadAsync(_redis).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes the sale's pre-queue for its draw if this <paramref name="owner"/> holds the line's lease (or nobody does):
    /// the state's epoch and the entrants; <see cref="DrawEntries.Pending"/> is false when there is nothing to draw
    /// (no pre-queue, or drawn), <see cref="DrawEntries.Leader"/> false when another host holds the lease.
    /// </summary>
    public async Task<DrawEntries> CloseEntriesAsync(Guid saleId, string owner)
    {
        var r = await _close.EvaluateAsync(_redis, KeysFor(saleId).CloseKeys, [owner]).ConfigureAwait(false);
        if (r.Length == 1 && (long)r[0] < 0)
        {
            return new DrawEntries((long)r[0] != DrawLayout.LeaseHeldElsewhere, false, 0, []);
        }
        var entrants = new Guid[r.Length - 1];
        for (var i = 0; i < entrants.Length; i++)
        {
            entrants[i] = Guid.ParseExact((string)r[i + 1]!, "N");
        }
        return new DrawEntries(true, true, (long)r[0], entrants);
    }

    /// <summary>Gives the closed pre-queue's entrants tickets 1…n in <paramref name="drawn"/> order; false when refused.</summary>
    public async Task<bool> ApplyDrawAsync(Guid saleId, string owner, IReadOnlyList<Guid> drawn)
    {
        ArgumentNullException.ThrowIfNull(drawn);
        var args = new RedisValue[drawn.Count + 1];
        args[0] = owner;
        for (var i = 0; i < drawn.Count; i++)
        {
            args[i + 1] = RedisSaleKeys.Member(drawn[i]);
        }
        return (long)await _applyDraw.EvaluateAsync(_redis, KeysFor(saleId).ApplyDrawKeys, args).ConfigureAwait(false) >= 0;
    }

    /// <summary>
    /// Takes back tickets handed out by <see cref="PlaceManyAsync"/> whose journal write failed (their joins are
    /// answered with an error, so nothing changed): each still held by its shopper is dropped and passed by the line.
    /// </summary>
    public async Task RevokeAsync(Guid saleId, IReadOnlyList<(Guid UserId, long Ticket)> tickets)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        if (tickets.Count == 0)
        {
            return;
        }
        var args = new RedisValue[tickets.Count * 2];
        for (var i = 0; i < tickets.Count; i++)
        {
            args[2 * i] = RedisSaleKeys.Member(tickets[i].UserId);
            args[(2 * i) + 1] = tickets[i].Ticket;
        }
        await _revoke.EvaluateAsync(_redis, KeysFor(saleId).RevokeKeys, args).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops (<paramref name="paused"/>) or resumes admission of the sale's line: the lease holder's next step reads it,
    /// whichever host it is. Admitted shoppers keep their windows and buy as before. <paramref name="version"/> is the
    /// pause's version as journaled in PostgreSQL (written first): an older one than Redis holds is ignored (false).
    /// </summary>
    public async Task<bool> SetPausedAsync(Guid saleId, bool paused, long version) =>
        (long)await _setPause.EvaluateAsync(_redis, [KeysFor(saleId).Queue], [paused ? 1 : 0, version]).ConfigureAwait(false) == 1;

    /// <summary>
    /// Turns the sale's pre-queue on or off in Redis after its <c>prequeueSeconds</c> changed (0 to more, or back): false
    /// when refused because shoppers already hold places (a ticket, or an entry). True too when Redis holds no state
    /// for the sale: its install reads the pre-queue from PostgreSQL.
    /// </summary>
    public async Task<bool> SetPrequeueAsync(Guid saleId, bool on)
    {
        var keys = KeysFor(saleId);
        return (long)await _setPrequeue.EvaluateAsync(_redis, [keys.Meta, keys.Queue, keys.Entrants], [on ? 1 : 0]).ConfigureAwait(false) != 0;
    }

    /// <summary>The operator's figures of the sale's line, or null when Redis holds no state for it.</summary>
    public async Task<LineStats?> StatsAsync(Guid saleId)
    {
        var r = await _stats.EvaluateAsync(_redis, KeysFor(saleId).StatsKeys, []).ConfigureAwait(false);
        if ((long)r[0] == StatsLayout.NoState)
        {
            return null;
        }
        return new LineStats((long)r[StatsLayout.Issued], (long)r[StatsLayout.Through], (long)r[StatsLayout.Paused] == 1,
            (long)r[StatsLayout.Abandoned], (long)r[StatsLayout.AdmittedTotal], (long)r[StatsLayout.AbsentWaiting], (long)r[StatsLayout.Skipped],
            (long)r[StatsLayout.Returning], (long)r[StatsLayout.LiveAdmissions], (long)r[StatsLayout.Buyers], (long)r[StatsLayout.Total],
            (long)r[StatsLayout.Stock], (long)r[StatsLayout.Starts], (long)r[StatsLayout.Now]);
    }

    /// <summary>
    /// Records that these shoppers are present in the sale's line now (they follow it on a live socket); returns how
    /// many of them hold a place. One call per sale, however many shoppers.
    /// </summary>
    public async Task<int> TouchAsync(Guid saleId, IReadOnlyList<Guid> userIds)
    {
        ArgumentNullException.ThrowIfNull(userIds);
        if (userIds.Count == 0)
        {
            return 0;
        }
        var args = new RedisValue[userIds.Count];
        for (var i = 0; i < args.Length; i++)
        {
            args[i] = RedisSaleKeys.Member(userIds[i]);
        }
        return (int)await _touch.EvaluateAsync(_redis, KeysFor(saleId).TouchKeys, args).ConfigureAwait(false);
    }

    /// <summary>
    /// Joins the line (<paramref name="join"/> true: idempotent, one live ticket per shopper) or only reads the
    /// shopper's place (false). A batch of one: hosts under load go through <see cref="PlaceManyAsync"/>.
    /// </summary>
    public async Task<QueuePlace> JoinAsync(Guid saleId, Guid userId, long nowUnixMs, bool join)
    {
        var places = new QueuePlace[1];
        await PlaceManyAsync(saleId, [(userId, join)], places).ConfigureAwait(false);
        return places[0];
    }

    /// <summary>
    /// Joins or reads the places of a batch of shoppers in one Lua call, in the batch's order (tickets follow it).
    /// <paramref name="places"/> receives one answer per shopper. Returns the epoch of the sale's state (0 without one).
    /// </summary>
    public async Task<long> PlaceManyAsync(Guid saleId, IReadOnlyList<(Guid UserId, bool Join)> shoppers, Memory<QueuePlace> places)
    {
        ArgumentNullException.ThrowIfNull(shoppers);
        var args = new RedisValue[shoppers.Count * JoinLayout.ArgsPerShopper];
        for (var i = 0; i < shoppers.Count; i++)
        {
            var at = i * JoinLayout.ArgsPerShopper;
            args[at + JoinLayout.User] = RedisSaleKeys.Member(shoppers[i].UserId);
            args[at + JoinLayout.Join] = shoppers[i].Join ? 1 : 0;
        }
        var result = await _join.EvaluateAsync(_redis, KeysFor(saleId).JoinKeys, args).ConfigureAwait(false);
        var first = (long)result[JoinLayout.Through];
        var epoch = first < 0 ? 0 : (long)result[JoinLayout.Epoch];
        var paused = first >= 0 && (long)result[JoinLayout.Paused] == 1;
        var span = places.Span;
        for (var i = 0; i < shoppers.Count; i++)
        {
            if (first < 0)
            {
                span[i] = new QueuePlace(first == JoinLayout.NoState ? QueueOutcome.NoSaleState : QueueOutcome.NoWaitingRoom, 0, 0, false, 0);
                continue;
            }
            var ticket = (long)result[JoinLayout.At(i, JoinLayout.Ticket)];
            span[i] = ticket is JoinLayout.NotInLine or JoinLayout.SoldOut or JoinLayout.Entrant
                ? new QueuePlace(ticket switch
                {
                    JoinLayout.NotInLine => QueueOutcome.NotInLine,
                    JoinLayout.SoldOut => QueueOutcome.SoldOut,
                    _ => QueueOutcome.Entrant,
                }, 0, first, false, 0, (long)result[JoinLayout.At(i, JoinLayout.Position)], (long)result[JoinLayout.At(i, JoinLayout.Fresh)] == 1,
                    paused)
                : new QueuePlace(QueueOutcome.InLine, ticket, first, (long)result[JoinLayout.At(i, JoinLayout.Admitted)] == 1,
                    (long)result[JoinLayout.At(i, JoinLayout.Deadline)], (long)result[JoinLayout.At(i, JoinLayout.Position)],
                    (long)result[JoinLayout.At(i, JoinLayout.Fresh)] == 1, paused);
        }
        return epoch;
    }

    /// <summary>
    /// Advances the sale's line once, if this <paramref name="owner"/> holds (or takes) the sale's lease.
    /// </summary>
    /// <param name="saleId">The sale whose line steps.</param>
    /// <param name="owner">A string unique to this host process.</param>
    /// <param name="nowUnixMs">The host's clock (TimeProvider), in Unix milliseconds: paces the rate credit only.</param>
    /// <param name="policy">The sale's rate and window and the host's presence, lease and step settings.</param>
    public async Task<AdmissionStep> AdmitAsync(Guid saleId, string owner, long nowUnixMs, AdmissionPolicy policy)
    {
        var args = new RedisValue[AdmitLayout.Args];
        args[AdmitLayout.Owner] = owner;
        args[AdmitLayout.Now] = nowUnixMs;
        args[AdmitLayout.LeaseMs] = policy.LeaseMs;
        args[AdmitLayout.Rate] = policy.RatePerSecond;
        args[AdmitLayout.WindowMs] = policy.WindowMs;
        args[AdmitLayout.PerRemainingUnit] = policy.AdmittedPerRemainingUnit;
        args[AdmitLayout.MaxPerStep] = policy.MaxPerStep;
        args[AdmitLayout.PresenceMs] = policy.PresenceMs;
        args[AdmitLayout.AbandonMs] = policy.AbandonMs;
        var result = await _admit.EvaluateAsync(_redis, KeysFor(saleId).AdmitKeys, args).ConfigureAwait(false);
        switch ((long)result[0])
        {
            case AdmitLayout.LeaseHeldElsewhere:
                return new AdmissionStep(false, true, 0, 0, 0, 0, 0);
            case AdmitLayout.NoState:
                return new AdmissionStep(true, false, 0, 0, 0, 0, 0);
        }
        var admitted = (int)result[AdmitLayout.AdmittedCount];
        var admittedTickets = new (long, Guid)[admitted];
        var abandonedTickets = new long[result.Length - AdmitLayout.Tickets - (2 * admitted)];
        for (var i = 0; i < admittedTickets.Length; i++)
        {
            admittedTickets[i] = ((long)result[AdmitLayout.Tickets + (2 * i)], Guid.ParseExact((string)result[AdmitLayout.Tickets + (2 * i) + 1]!, "N"));
        }
        for (var i = 0; i < abandonedTickets.Length; i++)
        {
            abandonedTickets[i] = (long)result[AdmitLayout.Tickets + (2 * admitted) + i];
        }
        return new AdmissionStep(true, true, (long)result[AdmitLayout.Through], (long)result[AdmitLayout.Issued],
            (long)result[AdmitLayout.Live], (int)result[AdmitLayout.Stock], (int)result[AdmitLayout.AdmittedNow],
            (int)result[AdmitLayout.Changed], (long)result[AdmitLayout.Epoch], (long)result[AdmitLayout.Deadline], admittedTickets,
            abandonedTickets);
    }

    /// <summary>The sale's live figures, or null when Redis holds no state for it.</summary>
    public async Task<SaleSnapshot?> SnapshotAsync(Guid saleId, long nowUnixMs)
    {
        var result = await _snapshot.EvaluateAsync(_redis, KeysFor(saleId).SnapshotKeys, [nowUnixMs]).ConfigureAwait(false);
        if ((long)result[0] == SnapshotLayout.NoState)
        {
            return null;
        }
        var absentAhead = new long[result.Length - SnapshotLayout.Checkpoints];
        for (var i = 0; i < absentAhead.Length; i++)
        {
            absentAhead[i] = (long)result[SnapshotLayout.Checkpoints + i];
        }
        return new SaleSnapshot((long)result[SnapshotLayout.Seq], (int)result[SnapshotLayout.Stock], (string)result[SnapshotLayout.Status]!,
            (long)result[SnapshotLayout.Changed] == 1, (long)result[SnapshotLayout.Through], (long)result[SnapshotLayout.WaitingRoom] == 1,
            (long)result[SnapshotLayout.Returning], absentAhead, (long)result[SnapshotLayout.Restocked] == 1, (long)result[SnapshotLayout.Paused] == 1);
    }

    private RedisSaleKeys KeysFor(Guid saleId) => _keys.GetOrAdd(saleId, RedisSaleKeys.For);
}
