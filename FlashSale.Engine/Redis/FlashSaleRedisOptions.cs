using System.ComponentModel.DataAnnotations;

namespace FlashSale.Engine.Redis;

/// <summary>
/// Settings of the Redis purchase path, shared by <see cref="RedisStockAuthority"/>, <see cref="OrderStreamReconciler"/>
/// and the host's Redis services. The host binds it straight from the <c>Redis</c> configuration section and validates
/// the ranges below at start; tests and benchmarks construct it directly (and may go below those ranges).
/// </summary>
public sealed record FlashSaleRedisOptions
{
    /// <summary>
    /// The global set of sale ids whose order streams the reconcilers walk. Every host of one deployment (one PostgreSQL
    /// database) must use the same; two deployments sharing a Redis must not, or one's reconciler would write the
    /// other's orders into the wrong database. Sale keys themselves (<c>{sale:ID}:…</c>) are unique by sale id.
    /// </summary>
    [Required]
    [RegularExpression(@"^\S{1,200}$", ErrorMessage = "Redis:SalesSetKey must be 1 to 200 characters without spaces.")]
    public string SalesSetKey { get; init; } = "flashsale:sales";

    /// <summary>Stream entries read and committed per step by the reconciler.</summary>
    [Range(1, 100_000)]
    public int ReconcileChunkSize { get; init; } = 2_000;

    /// <summary>
    /// The reconciler leaves stream entries younger than this alone (the engine is committing them right now);
    /// zero reconciles everything, which is what a test that replays at once wants.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan ReconcileMinEntryAge { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often every host replays the order streams into PostgreSQL and re-syncs live sales' meta.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan ReconcileInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a sale's Redis state is kept after the sale ended (<c>d.hh:mm:ss</c>, one day by default). Past it, and
    /// once the sale's stream is empty (every order it held is in PostgreSQL), the reconciler removes every key of the
    /// sale and drops it from the global set; the authority then answers a purchase of it "not active" instead of
    /// rebuilding it. Until then an idempotent retry still gets its order back from Redis.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan EndedSaleRetention { get; init; } = TimeSpan.FromDays(1);
}
