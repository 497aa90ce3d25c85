using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.Notifications;

/// <summary>What is notified and how the outbox is worked (section <c>Notify</c>); how mail leaves is <see cref="EmailOptions"/>.</summary>
public sealed class NotifyOptions
{
    public const string Section = "Notify";

    /// <summary>
    /// Off: no outbox row is written anywhere (the feeder of reservation notices does not run either) and nothing is
    /// dispatched, so the purchase path can be measured with and without notifications (docs/PERFORMANCE.md). The
    /// journal's commit is the same either way: reservation notices are fed from the orders afterwards.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long before a sale opens its reminders go out.</summary>
    [Range(0, 24 * 60)]
    public double LeadMinutes { get; set; } = 5;

    /// <summary>Failed sends of one message before it is dead (listed for the admin, never retried).</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>The first retry's delay; each later one doubles, up to <see cref="MaxRetryDelaySeconds"/>.</summary>
    [Range(0.01, 3600)]
    public double RetryDelaySeconds { get; set; } = 5;

    [Range(0.01, 86_400)]
    public double MaxRetryDelaySeconds { get; set; } = 900;

    /// <summary>How often an idle dispatcher and the reminder scheduler look for work.</summary>
    [Range(10, 60_000)]
    public int PollMilliseconds { get; set; } = 500;

    /// <summary>Messages one dispatcher claims (and holds locked) per transaction.</summary>
    [Range(1, 10_000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>
    /// How long a sent or skipped message stays in the outbox (for its shopper's list and for support); older ones are
    /// deleted by the dispatcher when it is idle. Pending and dead messages are never deleted.
    /// </summary>
    [Range(0.001, 24 * 3650)]
    public double RetentionHours { get; set; } = 7 * 24;

    /// <summary>Finished messages one delete removes (the dispatcher deletes at most one batch per idle poll).</summary>
    [Range(1, 100_000)]
    public int PruneBatch { get; set; } = 5_000;
}
