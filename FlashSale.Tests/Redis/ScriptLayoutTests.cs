using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using StackExchange.Redis;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

/// <summary>
/// Each purchase-path script's wire layout round-trips: arguments written through the C# layout (InstallArgs,
/// DecideArgs, ClaimReply, ReturnUnitsReply, RemoveEndedReply) land where the script reads them, and the script's reply
/// reads back through the C# layout (DecideReply, ClaimReply, ReturnUnitsReply, RemoveEndedReply) as what it did;
/// the same for the waiting room's scripts (JoinLayout, AdmitLayout, SnapshotLayout). The scripts are run directly,
/// without the authority or the waiting room around them.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ScriptLayoutTests(RedisConnection redis) : IClassFixture<RedisConnection>
{
    private const long Epoch = 7;

    private static readonly Guid Holder = Guid.NewGuid();
    private static readonly Guid HeldOrder = Guid.NewGuid();
    private static readonly Guid ReturnedOrder = Guid.NewGuid();
    private static readonly long HeldCreated = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();

    /// <summary>Installs a sale whose state holds one order (2 units of <see cref="Holder"/>) and one returned order.</summary>
    private async Task<(SaleDefinition Sale, RedisSaleKeys Keys)> InstallAsync(bool waitingRoom = false)
    {
        var sale = redis.NewSale(stock: 10, perUserLimit: 3, priceCents: 1250, waitingRoom: waitingRoom);
        var keys = RedisSaleKeys.For(sale.SaleId);
        var args = InstallArgs.Build(
            sale,
            stock: 8,
            users: [new(Holder, 2)],
            idempotency: [new(RedisSaleKeys.IdempotencyField(Holder, "held"), RedisSaleKeys.AcceptedOutcome(HeldOrder, 2, 1250, HeldCreated))],
            returned: [RedisSaleKeys.Member(ReturnedOrder)],
            epoch: Epoch);
        var installed = await new RedisScript(LuaScripts.Install).EvaluateAsync(redis.Multiplexer, keys.InstallKeys, args);
        Assert.Equal(1, (long)installed);
        return (sale, keys);
    }

    [Fact]
    public async Task Install_arguments_land_in_the_keys_the_script_fills()
    {
        var (sale, keys) = await InstallAsync();
        var db = redis.Database;

        var meta = (await db.HashGetAllAsync(keys.Meta)).ToDictionary(e => e.Name.ToString(), e => (long)e.Value);
        Assert.Equal(sale.UnitPriceCents, meta["price"]);
        Assert.Equal(sale.StartsAt.ToUnixTimeMilliseconds(), meta["starts"]);
        Assert.Equal(sale.EndsAt.ToUnixTimeMilliseconds(), meta["ends"]);
        Assert.Equal(sale.PerUserLimit, meta["limit"]);
        Assert.Equal(sale.TotalStock, meta["total"]);
        Assert.Equal(sale.PaymentWindowSeconds, meta["pw"]);
        Assert.Equal(0, meta["wr"]);
        Assert.Equal(Epoch, meta["epoch"]);
        Assert.Equal(8, (long)await db.StringGetAsync(keys.Stock));
        Assert.Equal(2, (long)await db.HashGetAsync(keys.Users, RedisSaleKeys.Member(Holder)));
        Assert.Equal(RedisSaleKeys.AcceptedOutcome(HeldOrder, 2, 1250, HeldCreated),
            (string?)await db.HashGetAsync(keys.Idempotency, RedisSaleKeys.IdempotencyField(Holder, "held")));
        Assert.True(await db.SetContainsAsync(keys.Returned, RedisSaleKeys.Member(ReturnedOrder)));
    }

    [Fact]
    public async Task Decide_reads_each_request_where_DecideArgs_writes_it_and_its_reply_reads_back_through_DecideReply()
    {
        var (sale, keys) = await InstallAsync();
        var buyer = Guid.NewGuid();
        var newOrder = Guid.NewGuid();
        var args = new RedisValue[3 * DecideArgs.PerRequest];
        DecideArgs.Write(args, 0, RedisSaleKeys.Member(Holder), 2, "held", RedisSaleKeys.Member(Guid.NewGuid())); // a replay
        DecideArgs.Write(args, 1, RedisSaleKeys.Member(buyer), 3, "new", RedisSaleKeys.Member(newOrder));
        DecideArgs.Write(args, 2, RedisSaleKeys.Member(Holder), 2, "over", RedisSaleKeys.Member(Guid.NewGuid())); // 2 + 2 > 3
        var before = Now;

        var reply = new DecideReply(await new RedisScript(LuaScripts.Decide).EvaluateAsync(redis.Multiplexer, keys.DecideKeys, args));

        Assert.False(reply.SaleStateMissing);
        Assert.Equal(5, reply.RemainingStock);
        Assert.Equal(sale.UnitPriceCents, reply.UnitPriceCents);
        Assert.Equal(Epoch, reply.SaleEpoch);
        Assert.InRange(reply.NowUnixMs, before - 1_000, Now + 1_000);
        Assert.Equal(
            $"{PurchaseCodes.ReplayedAccepted}{PurchaseCodes.Accepted}{PurchaseCodes.LimitReached}",
            System.Text.Encoding.ASCII.GetString(reply.OutcomeCodes));
        Assert.Equal(RedisSaleKeys.AcceptedOutcome(HeldOrder, 2, 1250, HeldCreated), System.Text.Encoding.ASCII.GetString(reply.Replay(0)));
        Assert.Equal(DecideReply.Fixed + 2, reply.Length);
        var entry = Assert.Single(await redis.Database.StreamRangeAsync(keys.Orders));
        Assert.Equal(entry.Id.ToString(), System.Text.Encoding.ASCII.GetString(reply.StreamId(1, 0)));
        Assert.Equal(RedisSaleKeys.Member(newOrder), (string?)entry["o"]);
        Assert.Equal(RedisSaleKeys.Member(buyer), (string?)entry["u"]);
        Assert.Equal(3, (long)entry["q"]);
        Assert.Equal("new", (string?)entry["k"]);
        Assert.Equal(reply.NowUnixMs, (long)entry["c"]);

        var missing = new DecideReply(await new RedisScript(LuaScripts.Decide).EvaluateAsync(
            redis.Multiplexer, RedisSaleKeys.For(redis.NewSale().SaleId).DecideKeys, args));
        Assert.True(missing.SaleStateMissing);
    }

    [Fact]
    public async Task Claim_reads_each_order_where_its_layout_writes_it_and_flags_the_held_one()
    {
        var (_, keys) = await InstallAsync();
        var args = new RedisValue[2 * ClaimReply.PerOrder];
        args[ClaimReply.Field] = RedisSaleKeys.IdempotencyField(Holder, "held");
        args[ClaimReply.Order] = RedisSaleKeys.Member(HeldOrder);
        args[ClaimReply.PerOrder + ClaimReply.Field] = RedisSaleKeys.IdempotencyField(Holder, "held");
        args[ClaimReply.PerOrder + ClaimReply.Order] = RedisSaleKeys.Member(Guid.NewGuid()); // same key, another order

        var claim = new RedisScript(LuaScripts.Claim);
        var reply = new ClaimReply(await claim.EvaluateAsync(redis.Multiplexer, keys.ClaimKeys, args));

        Assert.False(reply.SaleStateMissing);
        Assert.Equal(Epoch, reply.Epoch);
        Assert.Equal($"{ClaimReply.Held}{ClaimReply.NotHeld}", System.Text.Encoding.ASCII.GetString(reply.Flags));
        var missing = new ClaimReply(await claim.EvaluateAsync(redis.Multiplexer, RedisSaleKeys.For(redis.NewSale().SaleId).ClaimKeys, args));
        Assert.True(missing.SaleStateMissing);
    }

    [Fact]
    public async Task ReturnUnits_reads_order_user_and_quantity_where_its_layout_writes_them_and_its_reply_says_what_it_did()
    {
        var (_, keys) = await InstallAsync();
        var db = redis.Database;
        var script = new RedisScript(LuaScripts.ReturnUnits);

        var first = new ReturnUnitsReply(await script.EvaluateAsync(redis.Multiplexer, keys.ReturnKeys, ReturnUnitsReply.Args(HeldOrder, Holder, 2)));
        Assert.True(first.Returned);
        Assert.False(first.SaleStateMissing);
        Assert.Equal(10, (long)await db.StringGetAsync(keys.Stock));
        Assert.False(await db.HashExistsAsync(keys.Users, RedisSaleKeys.Member(Holder)));
        Assert.True(await db.SetContainsAsync(keys.Returned, RedisSaleKeys.Member(HeldOrder)));

        var again = new ReturnUnitsReply(await script.EvaluateAsync(redis.Multiplexer, keys.ReturnKeys, ReturnUnitsReply.Args(HeldOrder, Holder, 2)));
        Assert.False(again.Returned);
        Assert.False(again.SaleStateMissing);
        Assert.Equal(10, (long)await db.StringGetAsync(keys.Stock));

        var missing = new ReturnUnitsReply(await script.EvaluateAsync(redis.Multiplexer, RedisSaleKeys.For(redis.NewSale().SaleId).ReturnKeys,
            ReturnUnitsReply.Args(HeldOrder, Holder, 2)));
        Assert.True(missing.SaleStateMissing);
        Assert.False(missing.Returned);
    }

    [Fact]
    public async Task RemoveEnded_reads_now_and_retention_where_its_layout_writes_them_and_its_reply_says_what_it_did()
    {
        var (sale, keys) = await InstallAsync();
        var db = redis.Database;
        var script = new RedisScript(LuaScripts.RemoveEnded);
        const long Retention = 60_000;
        var ends = sale.EndsAt.ToUnixTimeMilliseconds();
        async Task<RemoveEndedReply> RemoveAsync(RedisSaleKeys k, long now) =>
            new(await script.EvaluateAsync(redis.Multiplexer, k.RemoveKeys, RemoveEndedReply.Args(now, Retention)));

        var early = await RemoveAsync(keys, ends + Retention - 1);
        Assert.True(early.Kept);
        Assert.True(await db.KeyExistsAsync(keys.Meta));

        var entry = await db.StreamAddAsync(keys.Orders, "o", "unwritten");
        var unwritten = await RemoveAsync(keys, ends + Retention);
        Assert.True(unwritten.Kept);
        await db.StreamDeleteAsync(keys.Orders, [entry]);

        var removed = await RemoveAsync(keys, ends + Retention);
        Assert.True(removed.Removed);
        Assert.False(removed.Kept);
        Assert.False(await db.KeyExistsAsync(keys.Meta));
        Assert.False(await db.KeyExistsAsync(keys.Stock));

        var missing = await RemoveAsync(keys, ends + Retention);
        Assert.True(missing.SaleStateMissing);
        Assert.False(missing.Removed);
    }

    [Fact]
    public async Task The_waiting_room_scripts_read_their_arguments_and_write_their_replies_where_their_layouts_say()
    {
        var (_, keys) = await InstallAsync(waitingRoom: true);
        var join = new RedisScript(WaitingRoomScripts.JoinMany);
        var admit = new RedisScript(WaitingRoomScripts.Admit);
        var snapshot = new RedisScript(WaitingRoomScripts.Snapshot);
        var (joiner, reader) = (Guid.NewGuid(), Guid.NewGuid());
        RedisValue[] JoinArgs()
        {
            var args = new RedisValue[2 * JoinLayout.ArgsPerShopper];
            args[JoinLayout.User] = RedisSaleKeys.Member(joiner);
            args[JoinLayout.Join] = 1;
            args[JoinLayout.ArgsPerShopper + JoinLayout.User] = RedisSaleKeys.Member(reader);
            args[JoinLayout.ArgsPerShopper + JoinLayout.Join] = 0;
            return args;
        }

        var joined = await join.EvaluateAsync(redis.Multiplexer, keys.JoinKeys, JoinArgs());
        Assert.Equal(JoinLayout.Header + (2 * JoinLayout.PerShopper), joined.Length);
        Assert.Equal(0, (long)joined[JoinLayout.Through]);
        Assert.Equal(1, (long)joined[JoinLayout.At(0, JoinLayout.Ticket)]);
        Assert.Equal(0, (long)joined[JoinLayout.At(0, JoinLayout.Admitted)]);
        Assert.Equal(1, (long)joined[JoinLayout.At(0, JoinLayout.Position)]);
        Assert.Equal(JoinLayout.NotInLine, (long)joined[JoinLayout.At(1, JoinLayout.Ticket)]);

        var args = new RedisValue[AdmitLayout.Args];
        args[AdmitLayout.Owner] = "host-a";
        args[AdmitLayout.Now] = Now;
        args[AdmitLayout.LeaseMs] = 5_000;
        args[AdmitLayout.Rate] = 10;
        args[AdmitLayout.WindowMs] = 60_000;
        args[AdmitLayout.PerRemainingUnit] = 2;
        args[AdmitLayout.MaxPerStep] = 5;
        args[AdmitLayout.PresenceMs] = 60_000;
        args[AdmitLayout.AbandonMs] = 300_000;
        var step = await admit.EvaluateAsync(redis.Multiplexer, keys.AdmitKeys, args);
        Assert.Equal([1L, 1L, 1L, 8L, 1L, 0L], new[] { AdmitLayout.Through, AdmitLayout.Issued, AdmitLayout.Live, AdmitLayout.Stock,
            AdmitLayout.AdmittedNow, AdmitLayout.Changed }.Select(i => (long)step[i]));
        args[AdmitLayout.Owner] = "host-b";
        Assert.Equal(AdmitLayout.LeaseHeldElsewhere, (long)(await admit.EvaluateAsync(redis.Multiplexer, keys.AdmitKeys, args))[0]);

        var placed = await join.EvaluateAsync(redis.Multiplexer, keys.JoinKeys, JoinArgs());
        Assert.Equal(1, (long)placed[JoinLayout.Through]);
        Assert.Equal(1, (long)placed[JoinLayout.At(0, JoinLayout.Admitted)]);
        Assert.InRange((long)placed[JoinLayout.At(0, JoinLayout.Deadline)], Now + 50_000, Now + 70_000);

        var live = await snapshot.EvaluateAsync(redis.Multiplexer, keys.SnapshotKeys, [Now]);
        Assert.Equal(1, (long)live[SnapshotLayout.Seq]);
        Assert.Equal(8, (long)live[SnapshotLayout.Stock]);
        Assert.Equal("active", (string?)live[SnapshotLayout.Status]);
        Assert.Equal(1, (long)live[SnapshotLayout.Changed]);
        Assert.Equal(1, (long)live[SnapshotLayout.Through]);
        Assert.Equal(1, (long)live[SnapshotLayout.WaitingRoom]);
        Assert.Equal(0, (long)live[SnapshotLayout.Returning]);
        Assert.Equal(SnapshotLayout.Checkpoints, live.Length); // nobody is away: no (ticket, absent) pairs

        var missing = RedisSaleKeys.For(redis.NewSale().SaleId);
        Assert.Equal(JoinLayout.NoState, (long)(await join.EvaluateAsync(redis.Multiplexer, missing.JoinKeys, JoinArgs()))[0]);
        Assert.Equal(AdmitLayout.NoState, (long)(await admit.EvaluateAsync(redis.Multiplexer, missing.AdmitKeys, args))[0]);
        Assert.Equal(SnapshotLayout.NoState, (long)(await snapshot.EvaluateAsync(redis.Multiplexer, missing.SnapshotKeys, [Now]))[0]);
        var (_, open) = await InstallAsync();
        Assert.Equal(JoinLayout.NoWaitingRoom, (long)(await join.EvaluateAsync(redis.Multiplexer, open.JoinKeys, JoinArgs()))[0]);
    }
}
