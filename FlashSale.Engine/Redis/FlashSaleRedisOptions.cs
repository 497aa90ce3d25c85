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
    /// A sale whose end lies this far in the past and whose stream is empty is dropped from the global set.
    /// </summary>
    public TimeSpan RetireEndedSalesAfter { get; init; } = TimeSpan.FromDays(1);
}
