namespace FlashSale.Engine.Redis;

/// <summary>Settings shared by <see cref="RedisStockAuthority"/> and <see cref="OrderStreamReconciler"/>.</summary>
public sealed record FlashSaleRedisOptions
{
    /// <summary>The global set of sale ids whose order streams the reconciler walks.</summary>
    public string SalesSetKey { get; init; } = "flashsale:sales";

    /// <summary>Stream entries read and committed per step by the reconciler.</summary>
    public int ReconcileChunkSize { get; init; } = 2_000;

    /// <summary>
    /// The reconciler leaves stream entries younger than this alone (the engine is committing them right now);
    /// zero reconciles everything, which is what a start-up pass wants.
    /// </summary>
    public TimeSpan ReconcileMinEntryAge { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// How long a sale's Redis state is kept after the sale ended. Past it, and once the sale's stream is empty (every
    /// order it held is in PostgreSQL), the reconciler removes every key of the sale and drops it from the global set;
    /// the authority then answers a purchase of it "not active" instead of rebuilding it. Until then an idempotent
    /// retry still gets its order back from Redis.
    /// </summary>
    public TimeSpan EndedSaleRetention { get; init; } = TimeSpan.FromDays(1);
}
