using System.Globalization;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>What one reconciliation pass did.</summary>
/// <param name="Sales">Registered sales walked.</param>
/// <param name="EntriesCommitted">Stream entries written through the journal (those PostgreSQL already held are skipped when the journal can tell).</param>
/// <param name="EntriesTrimmed">Stream entries removed after their commit.</param>
/// <param name="MalformedEntries">Entries that could not be read as an order (trimmed with the rest).</param>
/// <param name="SalesRemoved">
/// Ended sales whose Redis state this pass removed (past the retention, stream empty) and dropped from the global set.
/// </param>
/// <param name="OrphansDropped">
/// Entries of a state a rebuild replaced that the live state does not hold: their commits were fenced off, so they were
/// never confirmed; trimmed without writing.
/// </param>
/// <param name="SalesFenced">
/// Sales whose replay the journal fenced off because the sale's epoch moved in PostgreSQL since the pass read Redis (a
/// rebuild on another host, or Redis state another deployment wrote): nothing of them was written or trimmed; the next
/// pass replays them under the live state.
/// </param>
public readonly record struct ReconcileResult(int Sales, int EntriesCommitted, int EntriesTrimmed, int MalformedEntries, int SalesRemoved,
    int OrphansDropped = 0, int SalesFenced = 0);

/// <summary>
/// Replays the sales' Redis order streams into the order journal (idempotent by order id), then trims each stream
/// only up to what the journal confirmed. This is what makes a crash between the Redis decision and the PostgreSQL
/// commit lose nothing: every accepted order stays in its sale's stream until a commit that includes it succeeded.
/// The engine deletes the entries of the orders it committed itself (see <see cref="RedisStockAuthority.OrdersCommitted"/>),
/// so in the steady state a pass reads only what a failed or interrupted commit left behind.
/// <para>
/// It is also the janitor of ended sales: once a sale ended at least <see cref="FlashSaleRedisOptions.EndedSaleRetention"/>
/// ago and its stream is empty, one atomic script removes every key of the sale (<see cref="LuaScripts.RemoveEnded"/>),
/// then the sale leaves the global set.
/// </para>
/// </summary>
public sealed class OrderStreamReconciler
{
    private readonly IConnectionMultiplexer _redis;
    private readonly IOrderJournal _journal;
    private readonly FlashSaleRedisOptions _options;
    private readonly TimeProvider _time;
    private readonly RedisScript _removeEnded = new(LuaScripts.RemoveEnded);
    private readonly RedisScript _claim = new(LuaScripts.Claim);

    public OrderStreamReconciler(IConnectionMultiplexer redis, IOrderJournal journal, FlashSaleRedisOptions? options = null, TimeProvider? time = null)
    {
        _redis = redis ?? throw new ArgumentNullException(nameof(redis));
        _journal = journal ?? throw new ArgumentNullException(nameof(journal));
        _options = options ?? new FlashSaleRedisOptions();
        _time = time ?? TimeProvider.System;
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ReconcileChunkSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.EndedSaleRetention, TimeSpan.Zero);
    }

    /// <summary>
    /// One pass over every registered sale. Throws when Redis or the journal fails (nothing is trimmed then); a sale whose
    /// epoch moved is counted in <see cref="ReconcileResult.SalesFenced"/> and the pass goes on.
    /// </summary>
    public async Task<ReconcileResult> ReconcileOnceAsync(CancellationToken cancellationToken)
    {
        var db = _redis.GetDatabase();
        var members = await db.SetMembersAsync(_options.SalesSetKey).ConfigureAwait(false);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        // Stream ids are "<ms>-<seq>"; an end of "<ms>" includes every entry of that millisecond.
        RedisValue end = _options.ReconcileMinEntryAge > TimeSpan.Zero
            ? (now - (long)_options.ReconcileMinEntryAge.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)
            : "+";
        int sales = 0, committed = 0, trimmed = 0, malformed = 0, removed = 0, orphans = 0, fenced = 0;
        foreach (var member in members)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (!Guid.TryParse((string?)member, out var saleId))
            {
                continue;
            }
            sales++;
            var keys = RedisSaleKeys.For(saleId);
            (int Committed, int Trimmed, int Malformed, int Orphans) drained;
            try
            {
                drained = await ReconcileSaleAsync(db, saleId, keys, end, cancellationToken).ConfigureAwait(false);
            }
            catch (SaleEpochMovedException)
            {
                // The sale was rebuilt between the claim and the commit (or this Redis holds another deployment's state
                // of it): the fenced chunk stays in the stream, and one sale must not stop the pass for the others.
                fenced++;
                continue;
            }
            committed += drained.Committed;
            trimmed += drained.Trimmed;
            malformed += drained.Malformed;
            orphans += drained.Orphans;
            if (await TryRemoveEndedAsync(db, keys, member, now).ConfigureAwait(false))
            {
                removed++;
            }
        }
        return new ReconcileResult(sales, committed, trimmed, malformed, removed, orphans, fenced);
    }

    /// <summary>
    /// Writes the sale's stream entries PostgreSQL lacks, under the epoch of the live state that holds them, then trims
    /// what it read. An entry the live state does not hold belongs to a state a rebuild replaced: its commit is fenced
    /// off, so it was never confirmed and is trimmed unwritten. Without a live state (Redis lost it) the entries wait for
    /// the rebuild, which reads the stream and counts them.
    /// </summary>
    private async Task<(int Committed, int Trimmed, int Malformed, int Orphans)> ReconcileSaleAsync(
        IDatabase db, Guid saleId, RedisSaleKeys keys, RedisValue end, CancellationToken cancellationToken)
    {
        int committed = 0, trimmed = 0, malformed = 0, orphans = 0;
        var chunk = _options.ReconcileChunkSize;
        var orders = new List<AcceptedOrder>(Math.Min(chunk, 4_096));
        while (true)
        {
            var entries = await db.StreamRangeAsync(keys.Orders, "-", end, chunk).ConfigureAwait(false);
            if (entries.Length == 0)
            {
                break;
            }
            orders.Clear();
            foreach (var entry in entries)
            {
                if (OrderStreamEntry.TryParse(saleId, entry, out var order))
                {
                    orders.Add(order);
                }
                else
                {
                    malformed++;
                }
            }
            if (orders.Count > 0)
            {
                var live = await ClaimAsync(keys, orders).ConfigureAwait(false);
                if (live is null)
                {
                    break; // no live state: the rebuild will read these entries
                }
                orphans += live.Value.Orphans;
            }
            if (orders.Count > 0 && _journal is IOrderLookup lookup)
            {
                var present = await lookup.FindExistingAsync(orders.ConvertAll(o => o.OrderId), cancellationToken).ConfigureAwait(false);
                orders.RemoveAll(o => present.Contains(o.OrderId));
            }
            if (orders.Count > 0)
            {
                await _journal.CommitAsync(orders.ToArray(), cancellationToken).ConfigureAwait(false);
                committed += orders.Count;
            }
            // Everything up to and including the last entry read is committed now (or was never confirmed); ids only
            // grow, so the trim cannot touch an entry appended after the read.
            var removed = await db.StreamTrimByMinIdAsync(keys.Orders, NextId(entries[^1].Id)).ConfigureAwait(false);
            trimmed += (int)removed;
            if (entries.Length < chunk)
            {
                break;
            }
        }
        return (committed, trimmed, malformed, orphans);
    }

    /// <summary>
    /// Asks the live state which of <paramref name="orders"/> it holds (<see cref="LuaScripts.Claim"/>): those get its
    /// epoch, the others are removed from the list. Null when Redis holds no state for the sale.
    /// </summary>
    private async Task<(long Epoch, int Orphans)?> ClaimAsync(RedisSaleKeys keys, List<AcceptedOrder> orders)
    {
        var args = new RedisValue[orders.Count * ClaimReply.PerOrder];
        for (var i = 0; i < orders.Count; i++)
        {
            var at = i * ClaimReply.PerOrder;
            args[at + ClaimReply.Field] = RedisSaleKeys.IdempotencyField(orders[i].UserId, orders[i].IdempotencyKey);
            args[at + ClaimReply.Order] = RedisSaleKeys.Member(orders[i].OrderId);
        }
        var reply = new ClaimReply(await _claim.EvaluateAsync(_redis, keys.ClaimKeys, args).ConfigureAwait(false));
        if (reply.SaleStateMissing)
        {
            return null;
        }
        var epoch = reply.Epoch;
        var flags = reply.Flags;
        var kept = 0;
        for (var i = 0; i < orders.Count; i++)
        {
            if (flags[i] == (byte)ClaimReply.Held)
            {
                orders[kept++] = orders[i] with { SaleEpoch = epoch };
            }
        }
        var orphans = orders.Count - kept;
        orders.RemoveRange(kept, orphans);
        return (epoch, orphans);
    }

    /// <summary>
    /// Removes the sale's Redis state when it ended at least the retention ago and its stream is empty (this pass just
    /// wrote and trimmed everything old enough, so an entry left over means PostgreSQL did not take it yet: keep).
    /// Why the removal cannot lose anything: nothing can be accepted after the end (the purchase script refuses outside
    /// the window and an ended sale can no longer be edited), a return of units after the end can no longer be sold,
    /// and the return script does nothing without the sale's meta, while PostgreSQL still records the return.
    /// </summary>
    private async Task<bool> TryRemoveEndedAsync(IDatabase db, RedisSaleKeys keys, RedisValue member, long now)
    {
        var outcome = new RemoveEndedReply(await _removeEnded.EvaluateAsync(_redis, keys.RemoveKeys,
            RemoveEndedReply.Args(now, (long)_options.EndedSaleRetention.TotalMilliseconds)).ConfigureAwait(false));
        if (outcome.Kept)
        {
            return false; // kept: not ended long enough, or its stream still holds unwritten orders
        }
        // Removed just now, or no state and an empty stream (an earlier removal stopped before this step, Redis lost
        // the sale, or it is being installed): nothing to reconcile, so the registration goes too.
        await db.SetRemoveAsync(_options.SalesSetKey, member).ConfigureAwait(false);
        // The set is another hash slot, so this step cannot be atomic with the script. A sale installed meanwhile must
        // stay registered: EnsureInitializedAsync registers it again after installing, and this re-check covers an
        // install that finished before the removal from the set.
        if (await db.KeyExistsAsync(keys.Meta).ConfigureAwait(false))
        {
            await db.SetAddAsync(_options.SalesSetKey, member).ConfigureAwait(false);
            return false;
        }
        return outcome.Removed;
    }

    /// <summary>The smallest stream id after <paramref name="id"/> ("ms-seq" -> "ms-(seq+1)").</summary>
    internal static RedisValue NextId(RedisValue id)
    {
        var text = (string)id!;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        var ms = ulong.Parse(text.AsSpan(0, dash), CultureInfo.InvariantCulture);
        var seq = ulong.Parse(text.AsSpan(dash + 1), CultureInfo.InvariantCulture);
        return seq == ulong.MaxValue
            ? string.Create(CultureInfo.InvariantCulture, $"{ms + 1}-0")
            : string.Create(CultureInfo.InvariantCulture, $"{ms}-{seq + 1}");
    }
}
