using System.Buffers;
using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using FlashSale.Engine.Core;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// The cross-host stock authority: one Lua call (EVALSHA) per batch decides every request of the batch in order,
/// atomically with respect to every other host sharing the Redis. See <see cref="RedisSaleKeys"/> for the key
/// layout and <see cref="LuaScripts.Decide"/> for the reply format.
/// </summary>
public sealed class RedisStockAuthority : IStockAuthority
{
    private const int IdBytes = 32; // Guid "N" format
    private const int RequestBytes = 2 * IdBytes;

    private readonly IConnectionMultiplexer _redis;
    private readonly IDurableOrderSource _durable;
    private readonly FlashSaleRedisOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Guid, RedisSaleKeys> _keys = new();
    private readonly RedisScript _decide = new(LuaScripts.Decide);
    private readonly RedisScript _install = new(LuaScripts.Install);
    private readonly RedisScript _return = new(LuaScripts.ReturnUnits);
    private readonly RedisScript _update = new(SaleMetaScripts.UpdateIfNotOlder);
    private readonly OncePerSale _rebuildForReturns;

    public RedisStockAuthority(IConnectionMultiplexer redis, IDurableOrderSource durable, FlashSaleRedisOptions? options = null,
        TimeProvider? time = null)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _durable = durable ?? throw new ArgumentNullException(nameof(durable));
        _options = options ?? new FlashSaleRedisOptions();
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EndedSaleRetention, TimeSpan.Zero);
        _rebuildForReturns = new OncePerSale(RebuildFromDurableAsync);
    }

    /// <summary>Installs the sale from its durable definition, if the store has one (not tied to one caller's token: others wait for it).</summary>
    private async Task RebuildFromDurableAsync(Guid saleId)
    {
        if (await _durable.ReadSaleAsync(saleId, CancellationToken.None).ConfigureAwait(false) is { } sale)
        {
            await EnsureInitializedAsync(sale, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>Loads every script on every connected primary (call once at start; NOSCRIPT reloads later).</summary>
    public async Task LoadScriptsAsync()
    {
        await _decide.LoadAsync(_redis).ConfigureAwait(false);
        await _install.LoadAsync(_redis).ConfigureAwait(false);
        await _return.LoadAsync(_redis).ConfigureAwait(false);
        await _update.LoadAsync(_redis).ConfigureAwait(false);
    }

    public async ValueTask EnsureInitializedAsync(SaleDefinition sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (IsPastRetention(sale, _time.GetUtcNow().ToUnixTimeMilliseconds()))
        {
            // Its state is (or is about to be) removed by the reconciler; nothing can be bought any more, so rebuilding
            // it would only resurrect keys. DecideAsync answers "not active" for it instead.
            return;
        }
        var keys = KeysFor(sale.SaleId);
        var db = _redis.GetDatabase();
        var member = sale.SaleId.ToString("D", CultureInfo.InvariantCulture);
        // Registered before the state exists (a crash after the install leaves no unwatched stream) and again after
        // installing it (a reconciler that dropped the member while it saw no state cannot leave this sale out).
        await db.SetAddAsync(_options.SalesSetKey, member).ConfigureAwait(false);
        if (await db.KeyExistsAsync(keys.Meta).ConfigureAwait(false))
        {
            return;
        }

        // The stream first, then PostgreSQL: an entry the reconciler commits and trims in between is then in one of the
        // two reads (had PostgreSQL been read first, it could be in neither). The stream is never deleted by a rebuild.
        var pending = await ReadStreamAsync(db, keys.Orders, cancellationToken).ConfigureAwait(false);
        // The fence: bumping the epoch waits for every commit in flight under the old one and fails those still to
        // come, so the orders read below are all that can ever be committed for the state built from them.
        var durable = await _durable.BeginRebuildAsync(sale.SaleId, cancellationToken).ConfigureAwait(false);
        // PostgreSQL's status wins over the stream's "reserved".
        var orders = new Dictionary<Guid, DurableOrder>(durable.Orders.Count + pending.Count);
        foreach (var order in durable.Orders)
        {
            orders[order.OrderId] = order;
        }
        foreach (var order in pending)
        {
            orders.TryAdd(order.OrderId, order);
        }

        var users = new Dictionary<Guid, long>();
        var idempotency = new List<KeyValuePair<string, string>>(orders.Count);
        var returned = new List<string>();
        long held = 0;
        foreach (var order in orders.Values)
        {
            idempotency.Add(new(
                RedisSaleKeys.IdempotencyField(order.UserId, order.IdempotencyKey),
                RedisSaleKeys.AcceptedOutcome(order.OrderId, order.Quantity, order.UnitPriceCents, order.CreatedAtUnixMs)));
            if (order.HoldsUnits)
            {
                held += order.Quantity;
                users[order.UserId] = users.GetValueOrDefault(order.UserId) + order.Quantity;
            }
            else
            {
                // Its units are not counted below, so a late ReturnUnits for it must be a no-op.
                returned.Add(RedisSaleKeys.Member(order.OrderId));
            }
        }

        var args = InstallArgs.Build(sale, Math.Max(0, sale.TotalStock - held), users, idempotency, returned, durable.Epoch,
            LineRestore.From(durable.Line, users, sale.PerUserLimit));
        cancellationToken.ThrowIfCancellationRequested();
        await _install.EvaluateAsync(_redis, keys.InstallKeys, args).ConfigureAwait(false);
        // The install writes no version; stamp this definition's (a newer one applied meanwhile stays).
        await UpdateSaleAsync(sale, cancellationToken).ConfigureAwait(false);
        await db.SetAddAsync(_options.SalesSetKey, member).ConfigureAwait(false);
    }

    /// <summary>
    /// True when the sale ended at least <see cref="FlashSaleRedisOptions.EndedSaleRetention"/> before
    /// <paramref name="nowUnixMs"/>: the reconciler may have removed its state, and it is never rebuilt.
    /// </summary>
    internal bool IsPastRetention(SaleDefinition sale, long nowUnixMs) =>
        nowUnixMs >= sale.EndsAt.ToUnixTimeMilliseconds() + (long)_options.EndedSaleRetention.TotalMilliseconds;

    /// <summary>
    /// Writes a changed sale's decision parameters (price, window, limit, payment window, waiting room) into Redis so
    /// every host decides with the same values, unless the meta already holds a newer version
    /// (<see cref="SaleMetaScripts.UpdateIfNotOlder"/>). Total stock is not changed here. Returns false when Redis holds
    /// no state for the sale (the next <see cref="EnsureInitializedAsync"/> installs the definition it is given).
    /// </summary>
    public async ValueTask<bool> UpdateSaleAsync(SaleDefinition sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        cancellationToken.ThrowIfCancellationRequested();
        var result = await _update.EvaluateAsync(_redis, KeysFor(sale.SaleId).MetaOnly,
        [
            sale.Version,
            sale.UnitPriceCents,
            sale.StartsAt.ToUnixTimeMilliseconds(),
            sale.EndsAt.ToUnixTimeMilliseconds(),
            sale.PerUserLimit,
            sale.PaymentWindowSeconds,
            sale.WaitingRoom ? 1 : 0,
        ]).ConfigureAwait(false);
        return (long)result != SaleMetaScripts.NoState;
    }

    public async ValueTask DecideAsync(
        SaleDefinition sale,
        ReadOnlyMemory<PurchaseRequest> requests,
        Memory<PurchaseDecision> decisions,
        long nowUnixMs,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        var n = requests.Length;
        if (n == 0)
        {
            return;
        }
        if (decisions.Length < n)
        {
            throw new ArgumentException("There must be one decision slot per request.", nameof(decisions));
        }
        cancellationToken.ThrowIfCancellationRequested();

        var keys = KeysFor(sale.SaleId);
        var args = new RedisValue[DecideArgs.PerRequest * n];
        var ids = ArrayPool<byte>.Shared.Rent(n * RequestBytes);
        var span = requests.Span;
        for (var i = 0; i < n; i++)
        {
            ref readonly var request = ref span[i];
            var at = i * RequestBytes;
            WriteId(request.UserId, ids.AsSpan(at, IdBytes));
            WriteId(request.OrderId, ids.AsSpan(at + IdBytes, IdBytes));
            DecideArgs.Write(args, i, new ReadOnlyMemory<byte>(ids, at, IdBytes), request.Quantity, request.IdempotencyKey,
                new ReadOnlyMemory<byte>(ids, at + IdBytes, IdBytes));
        }

        // The pooled buffer goes back only after a reply: on a failure the message may still sit in a backlog.
        var result = await _decide.EvaluateAsync(_redis, keys.DecideKeys, args).ConfigureAwait(false);
        ArrayPool<byte>.Shared.Return(ids);
        if (result.Length == 1 && (long)result[0] < 0 && IsPastRetention(sale, nowUnixMs))
        {
            // The sale's state was removed after it ended (see OrderStreamReconciler): the answer is "the sale has
            // ended" for everyone, an idempotent retry of an order accepted long ago included. No rebuild.
            decisions.Span[..n].Fill(PurchaseDecision.Refused(PurchaseStatus.SaleNotActive));
            return;
        }
        Interpret(sale.SaleId, result, requests.Span, decisions.Span[..n]);
    }

    /// <summary>
    /// Deletes the committed orders' stream entries (exactly those ids: hosts append concurrently, so a trim by id
    /// could drop another host's uncommitted entry). Fire and forget on the multiplexer's pipeline: the engine waits
    /// for nothing, and an XDEL that never lands only means the reconciler finds the order in PostgreSQL later.
    /// </summary>
    public void OrdersCommitted(Guid saleId, ReadOnlySpan<OrderLogPosition> positions)
    {
        if (positions.IsEmpty)
        {
            return;
        }
        // One buffer for every id of the batch; it is not pooled because the command may sit in a backlog after this
        // method returned.
        const int MaxIdBytes = 20 + 1 + 20;
        var bytes = new byte[positions.Length * MaxIdBytes];
        var ids = new RedisValue[positions.Length];
        var at = 0;
        for (var i = 0; i < positions.Length; i++)
        {
            var start = at;
            at += FormatStreamId(positions[i], bytes.AsSpan(at));
            ids[i] = new ReadOnlyMemory<byte>(bytes, start, at - start);
        }
        _redis.GetDatabase().StreamDelete(KeysFor(saleId).Orders, ids, CommandFlags.FireAndForget);
    }

    public async ValueTask<bool> ReturnUnitsAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(quantity, 1);
        cancellationToken.ThrowIfCancellationRequested();
        var args = ReturnUnitsReply.Args(orderId, userId, quantity);
        var reply = new ReturnUnitsReply(await _return.EvaluateAsync(_redis, KeysFor(saleId).ReturnKeys, args).ConfigureAwait(false));
        if (reply.SaleStateMissing)
        {
            // Redis holds no state for the sale. A rebuild may be under way that read PostgreSQL before this order ended
            // and would install its units as held, after this return found nothing to give back: lost units. Rebuild
            // now (it reads the order as ended, so it counts the return itself) or, if another rebuild wins, apply the
            // return on top of it; either way the units are back before the caller records the return.
            await _rebuildForReturns.RunAsync(saleId).ConfigureAwait(false);
            reply = new ReturnUnitsReply(await _return.EvaluateAsync(_redis, KeysFor(saleId).ReturnKeys, args).ConfigureAwait(false));
        }
        // Still no state: the sale is past its retention (nothing can be bought any more) or gone from PostgreSQL.
        return reply.Returned;
    }

    public async ValueTask<int?> GetRemainingStockAsync(Guid saleId, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var value = await _redis.GetDatabase().StringGetAsync(KeysFor(saleId).Stock).ConfigureAwait(false);
        return value.IsNull ? null : (int)value;
    }

    internal RedisSaleKeys KeysFor(Guid saleId) => _keys.GetOrAdd(saleId, RedisSaleKeys.For);

    internal static void Interpret(
        Guid saleId,
        RedisResult result,
        ReadOnlySpan<PurchaseRequest> requests,
        Span<PurchaseDecision> decisions)
    {
        var reply = new DecideReply(result);
        if (reply.SaleStateMissing)
        {
            throw new SaleStateMissingException(saleId);
        }
        var price = reply.UnitPriceCents;
        var epoch = reply.SaleEpoch;
        var now = reply.NowUnixMs;
        var codes = reply.OutcomeCodes;
        if (codes.Length != requests.Length)
        {
            throw new InvalidDataException($"The purchase script answered {codes.Length} outcomes for {requests.Length} requests.");
        }

        // Walk backwards so each decision carries the stock left right after it.
        var after = (int)reply.RemainingStock;
        var (replays, appended) = CountReplaysAndAppends(codes);
        if (reply.Length != DecideReply.Fixed + replays + appended)
        {
            throw new InvalidDataException($"The purchase script answered {reply.Length} elements for {replays} replays and {appended} new orders.");
        }
        var replay = replays - 1;
        var appendedId = appended - 1;
        for (var i = requests.Length - 1; i >= 0; i--)
        {
            ref readonly var request = ref requests[i];
            var code = codes[i];
            if (code == (byte)PurchaseCodes.Accepted)
            {
                decisions[i] = new PurchaseDecision(PurchaseStatus.Accepted, request.OrderId, request.Quantity, price, now, after, false)
                {
                    LogPosition = ParseStreamId(reply.StreamId(replays, appendedId--)),
                    SaleEpoch = epoch,
                };
                after += request.Quantity;
            }
            else if (code == (byte)PurchaseCodes.ReplayedAccepted)
            {
                // A replay is committed under the epoch of the state that holds its outcome.
                decisions[i] = ParseAccepted(reply.Replay(replay--), after) with { SaleEpoch = epoch };
            }
            else
            {
                decisions[i] = PurchaseCodes.Refusal(code, after);
            }
        }
    }

    private static (int Replays, int Appended) CountReplaysAndAppends(byte[] codes)
    {
        int replays = 0, appended = 0;
        foreach (var c in codes)
        {
            replays += c == (byte)PurchaseCodes.ReplayedAccepted ? 1 : 0;
            appended += c == (byte)PurchaseCodes.Accepted ? 1 : 0;
        }
        return (replays, appended);
    }

    /// <summary>Parses a stream id "ms-seq".</summary>
    internal static OrderLogPosition ParseStreamId(ReadOnlySpan<byte> id)
    {
        var dash = id.IndexOf((byte)'-');
        if (dash <= 0
            || !Utf8Parser.TryParse(id[..dash], out ulong ms, out var msBytes) || msBytes != dash
            || !Utf8Parser.TryParse(id[(dash + 1)..], out ulong seq, out var seqBytes) || seqBytes != id.Length - dash - 1)
        {
            throw new InvalidDataException($"Malformed stream id '{Encoding.UTF8.GetString(id)}'.");
        }
        return new OrderLogPosition(ms, seq);
    }

    /// <summary>Writes "ms-seq" into <paramref name="destination"/> (41 bytes are always enough); returns the length.</summary>
    internal static int FormatStreamId(OrderLogPosition position, Span<byte> destination)
    {
        if (!Utf8Formatter.TryFormat(position.Milliseconds, destination, out var ms))
        {
            throw new ArgumentException("The destination is too small for a stream id.", nameof(destination));
        }
        destination[ms] = (byte)'-';
        if (!Utf8Formatter.TryFormat(position.Sequence, destination[(ms + 1)..], out var seq))
        {
            throw new ArgumentException("The destination is too small for a stream id.", nameof(destination));
        }
        return ms + 1 + seq;
    }

    /// <summary>Parses "A&lt;order N&gt;|qty|priceCents|createdAtMs".</summary>
    internal static PurchaseDecision ParseAccepted(ReadOnlySpan<byte> outcome, int remaining)
    {
        if (outcome.Length < 2 + IdBytes || outcome[0] != (byte)PurchaseCodes.ReplayedAccepted
            || !Utf8Parser.TryParse(outcome.Slice(1, IdBytes), out Guid orderId, out _, 'N'))
        {
            throw new InvalidDataException($"Malformed recorded outcome '{Encoding.UTF8.GetString(outcome)}'.");
        }
        var rest = outcome[(1 + IdBytes + 1)..];
        var quantity = (int)NextNumber(ref rest);
        var price = NextNumber(ref rest);
        var created = NextNumber(ref rest);
        return new PurchaseDecision(PurchaseStatus.Accepted, orderId, quantity, price, created, remaining, true);
    }

    private static long NextNumber(ref ReadOnlySpan<byte> rest)
    {
        var bar = rest.IndexOf((byte)'|');
        var field = bar < 0 ? rest : rest[..bar];
        if (!Utf8Parser.TryParse(field, out long value, out var used) || used != field.Length)
        {
            throw new InvalidDataException("Malformed number in a recorded outcome.");
        }
        rest = bar < 0 ? [] : rest[(bar + 1)..];
        return value;
    }

    private static void WriteId(Guid id, Span<byte> destination)
    {
        if (!id.TryFormat(destination, out var written, "N") || written != IdBytes)
        {
            throw new InvalidOperationException("Could not format an id.");
        }
    }

    private static async Task<List<DurableOrder>> ReadStreamAsync(IDatabase db, RedisKey stream, CancellationToken cancellationToken)
    {
        var orders = new List<DurableOrder>();
        RedisValue from = "-";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entries = await db.StreamRangeAsync(stream, from, "+", 1_000).ConfigureAwait(false);
            foreach (var entry in entries)
            {
                if (OrderStreamEntry.TryParse(Guid.Empty, entry, out var order))
                {
                    orders.Add(new DurableOrder(order.OrderId, order.UserId, order.Quantity, order.UnitPriceCents,
                        order.IdempotencyKey, order.CreatedAtUnixMs, DurableOrderStatus.Reserved));
                }
            }
            if (entries.Length < 1_000)
            {
                return orders;
            }
            from = "(" + entries[^1].Id;
        }
    }
}
