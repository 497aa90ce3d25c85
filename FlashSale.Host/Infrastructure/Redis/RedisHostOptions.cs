using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.Infrastructure.Redis;

/// <summary>How long Redis keeps what, bound from <c>Redis</c> (multi-node mode).</summary>
public sealed class RedisHostOptions
{
    public const string Section = "Redis";

    /// <summary>
    /// How long an ended sale's Redis state is kept (<c>d.hh:mm:ss</c>, one day by default). Past it, once every order of
    /// the sale's stream is in PostgreSQL, the reconciler removes the sale's keys; an idempotent retry then answers that
    /// the sale has ended instead of returning the order.
    /// </summary>
    [Range(typeof(TimeSpan), "00:01:00", "365.00:00:00")]
    public TimeSpan EndedSaleRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The set of sale ids whose order streams the reconcilers walk. Every host of one deployment (one PostgreSQL
    /// database) must use the same; two deployments sharing a Redis must not, or one's reconciler would write the
    /// other's orders into the wrong database. Sale keys themselves (<c>{sale:ID}:…</c>) are unique by sale id.
    /// </summary>
    [Required]
    [RegularExpression(@"^\S{1,200}$", ErrorMessage = "Redis:SalesSetKey must be 1 to 200 characters without spaces.")]
    public string SalesSetKey { get; set; } = "flashsale:sales";
}
