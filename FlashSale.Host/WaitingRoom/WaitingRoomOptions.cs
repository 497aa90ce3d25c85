using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.WaitingRoom;

/// <summary>The admission loop's settings, bound from <c>WaitingRoom</c>. Rates and windows are per sale.</summary>
public sealed class WaitingRoomOptions : IValidatableObject
{
    public const string Section = "WaitingRoom";

    /// <summary>How often the lease holder advances each waiting-room sale's line.</summary>
    [Range(5, 10_000)]
    public int AdmissionTickMilliseconds { get; set; } = 100;

    /// <summary>Lease time to live: when the holder dies, another host takes over after at most this long.</summary>
    [Range(100, 120_000)]
    public int LeaseMilliseconds { get; set; } = 3_000;

    /// <summary>Live admissions (admitted, window not over, limit not bought) per unit still in stock.</summary>
    [Range(1, 1_000)]
    public int AdmittedPerRemainingUnit { get; set; } = 2;

    /// <summary>Most tickets one admission step admits (bounds one Lua call's run time).</summary>
    [Range(1, 100_000)]
    public int MaxAdmissionsPerStep { get; set; } = 2_000;

    /// <summary>Most joins and place reads of one sale answered by one Lua call (<see cref="LineDesk"/>).</summary>
    [Range(1, 10_000)]
    public int MaxPlacesPerCall { get; set; } = 1_000;

    /// <summary>Joins and place reads one sale's desk holds while a call runs; beyond, a 503 with Retry-After.</summary>
    [Range(1, 1_000_000)]
    public int MaxWaitingPlaces { get; set; } = 50_000;

    /// <summary>
    /// How long before a waiting-room sale opens the host gets ready for it (<see cref="OpeningWarmup"/>); 0 turns
    /// the warm-up off.
    /// </summary>
    [Range(0, 3_600)]
    public int WarmupSeconds { get; set; } = 60;

    /// <summary>PostgreSQL connections the warm-up opens at start (they stay in the pool).</summary>
    [Range(0, 1_000)]
    public int WarmupConnections { get; set; } = 32;

    /// <summary>How often the list of waiting-room sales is re-read from PostgreSQL.</summary>
    [Range(0.05, 3_600)]
    public double CatalogRefreshSeconds { get; set; } = 1;

    /// <summary>
    /// A shopper in line is present while a socket of theirs follows the sale or a place read (or join) came within
    /// this long; an absent shopper's ticket is skipped by admission and resumes when they come back.
    /// </summary>
    [Range(0.1, 86_400)]
    public double PresenceTimeoutSeconds { get; set; } = 60;

    /// <summary>A shopper absent this long has left: the place is gone and joining again starts at the back.</summary>
    [Range(0.2, 86_400)]
    public double AbandonAfterSeconds { get; set; } = 300;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (AbandonAfterSeconds <= PresenceTimeoutSeconds)
        {
            yield return new ValidationResult("AbandonAfterSeconds must be longer than PresenceTimeoutSeconds: a place is abandoned only after its shopper was absent.",
                [nameof(AbandonAfterSeconds)]);
        }
    }
}
