using FlashSale.Engine.Postgres;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Notifications;

/// <summary>
/// Queues the "reserved" notices of the orders committed since the last pass, every
/// <see cref="NotifyOptions.PollMilliseconds"/>, on every host (one at a time does the work:
/// <see cref="ReservationNoticeFeed"/> locks its watermark SKIP LOCKED). It runs with or without a mail server, so a
/// reservation is visible in its shopper's list either way; it does not run when <see cref="NotifyOptions.Enabled"/>
/// is off. Its passes are what the journal's commit no longer does: one set-based insert per pass instead of one per
/// commit, off the purchase path.
/// </summary>
public sealed partial class ReservedNoticeFeeder(NpgsqlDataSource db, IOptions<NotifyOptions> notify, TimeProvider clock,
    ILogger<ReservedNoticeFeeder> logger) : BackgroundService
{
    /// <summary>One pass; returns how many notices it queued (0 when another host's feeder held the watermark).</summary>
    public async Task<int> FeedOnceAsync(CancellationToken cancellationToken) =>
        await ReservationNoticeFeed.FeedOnceAsync(db, cancellationToken) ?? 0;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Registration already leaves it out when off; checked again on the bound options, which also see settings
        // layered on after the services were registered (a test host's).
        if (!notify.Value.Enabled)
        {
            return;
        }
        var idle = TimeSpan.FromMilliseconds(notify.Value.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FeedOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFeedFailed(logger, e);
            }
            await Task.Delay(idle, clock, stoppingToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queueing reservation notices failed; retrying next period")]
    private static partial void LogFeedFailed(ILogger logger, Exception exception);
}
