using System.Globalization;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// The Redis key layout of a sale. Every key of one sale starts with the hash tag <c>{sale:&lt;id&gt;}</c> (the id
/// in the "D" format, lower case) so all of them live in one Redis Cluster slot and one Lua call may touch them.
/// Ids stored inside keys (users, orders) use the compact "N" format (32 hex digits), see <see cref="Member"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>{sale:ID}:meta</c> hash: <c>price</c> (unit price, cents), <c>starts</c>/<c>ends</c> (unix ms),
/// <c>limit</c> (per-user units), <c>total</c> (total stock), <c>pw</c> (payment window, seconds),
/// <c>wr</c> (waiting room, "0"/"1"), <c>ver</c> (the sale row's version these values come from; see
/// <see cref="SaleMetaScripts.UpdateIfNotOlder"/>). Its presence is the marker that the sale's state exists.</item>
/// <item><c>{sale:ID}:stock</c> string: remaining units.</item>
/// <item><c>{sale:ID}:users</c> hash: user (N) -> units held (reserved or paid).</item>
/// <item><c>{sale:ID}:idem</c> hash: "user(N)|Idempotency-Key" -> first outcome: <c>A&lt;order N&gt;|qty|priceCents|createdAtMs</c>,
/// <c>S</c> (sold out) or <c>L</c> (limit reached).</item>
/// <item><c>{sale:ID}:orders</c> stream: one entry per accepted order, fields <c>o</c> order (N), <c>u</c> user (N),
/// <c>q</c> quantity, <c>p</c> unit price cents, <c>c</c> created-at ms, <c>e</c> expires-at ms, <c>k</c> Idempotency-Key.</item>
/// <item><c>{sale:ID}:returned</c> set: order ids (N) whose units went back to stock (or never counted after a rebuild).</item>
/// <item><c>{sale:ID}:admitted</c> sorted set: user (N) -> admission deadline (unix ms); checked by the purchase
/// script when <c>wr</c> is "1" (waiting room). Written by the admission step (<see cref="RedisWaitingRoom"/>); an
/// accepted purchase that brings the shopper to the per-user limit removes the shopper (the admission is used up).</item>
/// <item><c>{sale:ID}:queue</c> hash: the waiting room's state: <c>issued</c> (last ticket handed out),
/// <c>through</c> (the line passed ticket T), <c>at</c>/<c>credit</c> (admission rate bookkeeping), <c>cut</c> (presence
/// swept up to), <c>abandoned</c> (places dropped), <c>paused</c> ("1": admission stopped) and <c>pausev</c> (its version as journaled in PostgreSQL), <c>seq</c>
/// (order of published live frames), <c>st</c> (last published sale status).</item>
/// <item><c>{sale:ID}:tickets</c> hash: user (N) -> ticket. <c>{sale:ID}:line</c> list: users in ticket order
/// (index = ticket - 1).</item>
/// <item><c>{sale:ID}:lease</c> string: the host that advances the line (SET PX, renewed by its holder).</item>
/// <item><c>{sale:ID}:seen</c> sorted set: user (N) -> when the shopper was last present (unix ms, Redis TIME).
/// <c>{sale:ID}:absent</c> sorted set: user (N) -> ticket of a shopper in line who is away (waiting, or skipped
/// once the line passed the ticket), plus <c>g&lt;ticket&gt;</c> for an abandoned ticket the line has not reached.
/// <c>{sale:ID}:back</c> sorted set: user (N) -> ticket of a skipped shopper who came back (admitted first).</item>
/// <item><c>{sale:ID}:entrants</c> set: users (N) in a pre-queue waiting for its draw (<c>pre</c> in <c>:queue</c>: "1"
/// entries open, "2" closed for the draw; gone once drawn).</item>
/// </list>
/// The global set <see cref="FlashSaleRedisOptions.SalesSetKey"/> (default <c>flashsale:sales</c>) lists the sale ids
/// ("D") whose streams the reconciler walks.
/// <para>Lifetime: no key has a TTL except <c>:lease</c>. The reconciler removes every key of a sale, and then the sale
/// from the global set, once the sale ended at least <see cref="FlashSaleRedisOptions.EndedSaleRetention"/> ago and its
/// stream is empty (every order it held is in PostgreSQL); see <see cref="LuaScripts.RemoveEnded"/>.</para>
/// </remarks>
public sealed class RedisSaleKeys
{
    private RedisSaleKeys(Guid saleId)
    {
        SaleId = saleId;
        Tag = "{sale:" + saleId.ToString("D", CultureInfo.InvariantCulture) + "}";
        Meta = Tag + ":meta";
        Stock = Tag + ":stock";
        Users = Tag + ":users";
        Idempotency = Tag + ":idem";
        Orders = Tag + ":orders";
        Returned = Tag + ":returned";
        Admitted = Tag + ":admitted";
        Queue = Tag + ":queue";
        Tickets = Tag + ":tickets";
        Line = Tag + ":line";
        Lease = Tag + ":lease";
        Seen = Tag + ":seen";
        Absent = Tag + ":absent";
        Back = Tag + ":back";
        Entrants = Tag + ":entrants";
        JoinKeys = [Meta, Queue, Tickets, Line, Admitted, Seen, Absent, Back, Stock, Entrants];
        TouchKeys = [Queue, Tickets, Seen, Absent, Back, Entrants];
        RevokeKeys = [Tickets, Seen, Entrants];
        CloseKeys = [Meta, Queue, Entrants, Line, Lease];
        ApplyDrawKeys = [Queue, Tickets, Line, Entrants, Lease];
        AdmitKeys = [Meta, Stock, Queue, Line, Admitted, Lease, Tickets, Seen, Absent, Back];
        SnapshotKeys = [Meta, Stock, Queue, Absent, Back];
        StatsKeys = [Meta, Stock, Queue, Admitted, Absent, Back, Users];
        DecideKeys = [Meta, Stock, Users, Idempotency, Orders, Admitted];
        InstallKeys = [Meta, Stock, Users, Idempotency, Returned, Queue, Tickets, Line, Admitted, Seen, Absent, Back, Entrants];
        ReturnKeys = [Meta, Stock, Users, Returned];
        MetaOnly = [Meta];
        ClaimKeys = [Meta, Idempotency];
        RemoveKeys = [Meta, Orders, Stock, Users, Idempotency, Returned, Admitted, Queue, Tickets, Line, Lease, Seen, Absent, Back, Entrants];
    }

    public Guid SaleId { get; }

    /// <summary>The hash tag every key of the sale starts with: <c>{sale:&lt;id&gt;}</c>.</summary>
    public string Tag { get; }

    public RedisKey Meta { get; }

    public RedisKey Stock { get; }

    public RedisKey Users { get; }

    public RedisKey Idempotency { get; }

    public RedisKey Orders { get; }

    public RedisKey Returned { get; }

    public RedisKey Admitted { get; }

    public RedisKey Queue { get; }

    public RedisKey Tickets { get; }

    public RedisKey Line { get; }

    public RedisKey Lease { get; }

    public RedisKey Seen { get; }

    public RedisKey Absent { get; }

    public RedisKey Back { get; }

    /// <summary>A pre-queue's entrants while it waits for its draw.</summary>
    public RedisKey Entrants { get; }

    /// <summary>Every key of the sale (for tests and clean-up).</summary>
    public IReadOnlyList<RedisKey> All => [Meta, Stock, Users, Idempotency, Orders, Returned, Admitted, Queue, Tickets, Line, Lease, Seen, Absent, Back, Entrants];

    internal RedisKey[] JoinKeys { get; }

    internal RedisKey[] TouchKeys { get; }

    internal RedisKey[] RevokeKeys { get; }

    internal RedisKey[] CloseKeys { get; }

    internal RedisKey[] ApplyDrawKeys { get; }

    internal RedisKey[] AdmitKeys { get; }

    internal RedisKey[] SnapshotKeys { get; }

    internal RedisKey[] StatsKeys { get; }

    internal RedisKey[] DecideKeys { get; }

    internal RedisKey[] InstallKeys { get; }

    internal RedisKey[] ReturnKeys { get; }

    internal RedisKey[] MetaOnly { get; }

    internal RedisKey[] ClaimKeys { get; }

    /// <summary>Meta and the stream first (what <see cref="LuaScripts.RemoveEnded"/> checks), then every other key.</summary>
    internal RedisKey[] RemoveKeys { get; }

    public static RedisSaleKeys For(Guid saleId) => new(saleId);

    /// <summary>How a user or order id is written inside the sale's keys and values: 32 lower-case hex digits.</summary>
    public static string Member(Guid id) => id.ToString("N", CultureInfo.InvariantCulture);

    /// <summary>The value the purchase script records in <c>:idem</c> for an accepted order.</summary>
    public static string AcceptedOutcome(Guid orderId, int quantity, long unitPriceCents, long createdAtUnixMs) =>
        string.Create(CultureInfo.InvariantCulture, $"A{Member(orderId)}|{quantity}|{unitPriceCents}|{createdAtUnixMs}");

    /// <summary>The <c>:idem</c> field of one shopper's Idempotency-Key.</summary>
    public static string IdempotencyField(Guid userId, string idempotencyKey) => Member(userId) + "|" + idempotencyKey;
}
