namespace FlashSale.Engine.Core;

/// <summary>
/// Tuning of every <see cref="SaleEngine"/> a <see cref="SaleEngineRegistry"/> creates. The host binds it straight
/// from the <c>Engine</c> configuration section (no copy in between) and validates it at start with
/// <see cref="Validate"/>, the one place its ranges live. A record, so the registry keeps its own snapshot with
/// <c>with { }</c>: a compiler-written copy cannot forget a property the way a hand-written one did.
/// </summary>
public sealed record SaleEngineOptions
{
    public const int MaxQueueCapacity = 1 << 22;
    public const int MaxBatchLimit = 1 << 16;
    public const int MaxCommitsInFlight = 16;

    /// <summary>Requests a sale may hold waiting for its loop; one more is answered Overloaded at once.</summary>
    public int QueueCapacity { get; set; } = 16_384;

    /// <summary>Most requests the loop decides in one authority call and commits in one journal call.</summary>
    public int BatchLimit { get; set; } = 1_024;

    /// <summary>
    /// Batches whose orders may be committing while the loop already decides the next one. 1 decides, commits and
    /// answers one batch at a time; 2 (the default) lets the authority call of a batch overlap the journal commit of
    /// the one before, so a turn costs the longer of the two instead of their sum. Each batch still answers its
    /// accepted callers only after its own commit.
    /// </summary>
    public int CommitsInFlight { get; set; } = 2;

    /// <summary>
    /// How long the engine refuses requests as SoldOut without asking the authority after the authority reported
    /// zero units left. <see cref="TimeSpan.Zero"/> (the default) turns that fast-fail off: the engine cannot tell a
    /// retry of an order accepted on another host (or before a restart) from a fresh request, so a local SoldOut
    /// could contradict an Idempotency-Key's recorded 201. Turn it on only where that trade is acceptable; keys
    /// this engine saw accepted are always forwarded, so local replays stay correct either way.
    /// </summary>
    public TimeSpan KnownSoldOutTtl { get; set; } = TimeSpan.Zero;

    /// <summary>How long after a sale's end its engine stays alive (replays of late retries still reach it).</summary>
    public TimeSpan RetireAfterEnd { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How often the registry looks for ended sales to retire; <see cref="TimeSpan.Zero"/> disables the timer.</summary>
    public TimeSpan RetirementSweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Told about every authority or journal failure the loop turned into Unavailable answers (the engine has no
    /// logging dependency; the host forwards this to its logger). Must be cheap and must not throw.
    /// </summary>
    public Action<Guid, Exception>? OnFault { get; set; }

    /// <summary>
    /// Told that a sale's remaining stock moved: once per batch that sold something new, and once per return of units
    /// (through <see cref="SaleEngineRegistry.NotifyUnitsReturned"/>). The host raises the sale's live stock signal
    /// here; nothing is called per request. Must be cheap and must not throw.
    /// </summary>
    public Action<Guid>? OnStockChanged { get; set; }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(QueueCapacity, MaxQueueCapacity, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchLimit, 1, nameof(BatchLimit));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(BatchLimit, MaxBatchLimit, nameof(BatchLimit));
        ArgumentOutOfRangeException.ThrowIfLessThan(CommitsInFlight, 1, nameof(CommitsInFlight));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(CommitsInFlight, MaxCommitsInFlight, nameof(CommitsInFlight));
        ArgumentOutOfRangeException.ThrowIfLessThan(KnownSoldOutTtl, TimeSpan.Zero, nameof(KnownSoldOutTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetireAfterEnd, TimeSpan.Zero, nameof(RetireAfterEnd));
        ArgumentOutOfRangeException.ThrowIfLessThan(RetirementSweepInterval, TimeSpan.Zero, nameof(RetirementSweepInterval));
    }
}
