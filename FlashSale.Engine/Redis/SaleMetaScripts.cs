namespace FlashSale.Engine.Redis;

/// <summary>The scripts that keep a sale's <c>:meta</c> at the newest version of its row (see <see cref="RedisSaleKeys"/>).</summary>
internal static class SaleMetaScripts
{
    /// <summary>Reply of <see cref="UpdateIfNotOlder"/>: the meta holds this version now.</summary>
    public const long Applied = 1;

    /// <summary>Reply of <see cref="UpdateIfNotOlder"/>: the meta holds a newer version, left as it is.</summary>
    public const long NewerKept = 0;

    /// <summary>Reply of <see cref="UpdateIfNotOlder"/>: Redis holds no state of the sale; nothing was written.</summary>
    public const long NoState = -1;

    /// <summary>
    /// Writes a sale's decision parameters into its meta unless the meta carries a newer version (<c>ver</c>; a meta
    /// installed without one counts as version 0). The check and the write are one atomic step, so two changes applied
    /// in the wrong order (two PATCHes racing, a relay overtaken by a resync) leave the newer one. Total stock is never
    /// changed here, and a missing meta is not created (the install does that, with the stock).
    /// KEYS: 1 meta. ARGV: 1 version, 2 price, 3 starts, 4 ends, 5 limit, 6 pw, 7 wr.
    /// </summary>
    public static readonly string UpdateIfNotOlder = $$"""
        if redis.call('EXISTS', KEYS[1]) == 0 then return {{NoState}} end
        local held = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
        if tonumber(ARGV[1]) < held then return {{NewerKept}} end
        redis.call('HSET', KEYS[1], 'ver', ARGV[1], 'price', ARGV[2], 'starts', ARGV[3], 'ends', ARGV[4], 'limit', ARGV[5],
          'pw', ARGV[6], 'wr', ARGV[7])
        return {{Applied}}
        """;
}
