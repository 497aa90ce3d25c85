using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using StackExchange.Redis;
using static FlashSale.Tests.Redis.Purchases;

namespace FlashSale.Tests.Redis;

/// <summary>
/// Each purchase-path script's wire layout round-trips: arguments written through the C# layout (InstallArgs,
/// DecideArgs, ClaimReply) land where the script reads them, and the script's reply reads back through the C# layout
/// (DecideReply, ClaimReply) as what it did. The scripts are run directly, without the authority around them.
/// </summary>
public sealed class ScriptLayoutTests(RedisConnection redis) : IClassFixture<RedisConnection>
{
    private const long Epoch = 7;

    private static readonly Guid Holder = Guid.NewGuid();
    private static readonly Guid HeldOrder = Guid.NewGuid();
    private static readonly Guid ReturnedOrder = Guid.NewGuid();
    private static readonly long HeldCreated = DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds();

    /// <summary>Installs a sale whose state holds one order (2 units of <see cref="Holder"/>) and one returned order.</summary>
    private async Task<(SaleDefinition Sale, RedisSaleKeys Keys)> InstallAsync()
    {
        var sale = redis.NewSale(stock: 10, perUserLimit: 3, priceCents: 1250);
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
}
