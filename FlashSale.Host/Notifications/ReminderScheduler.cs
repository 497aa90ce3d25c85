using Dapper;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Notifications;

/// <summary>
/// Queues a sale's opening reminders <see cref="NotifyOptions.LeadMinutes"/> before it opens: one statement per sale
/// marks the sale (<c>reminders_queued_at</c>) and writes an outbox row per reminder, so 100,000 reminders are one
/// insert and the dispatchers send them paced (<see cref="EmailOptions.MaxPerSecond"/>), never blocking a request.
/// Sales are claimed <c>FOR NO KEY UPDATE SKIP LOCKED</c>: hosts never queue one sale twice, and the journal's
/// <c>FOR KEY SHARE</c> on the sale's row is never waited for. "Now" is this host's <see cref="TimeProvider"/>.
/// </summary>
public sealed partial class ReminderScheduler(NpgsqlDataSource db, ReminderFrames frames, IOptions<NotifyOptions> options, TimeProvider clock,
    ILogger<ReminderScheduler> logger) : BackgroundService
{
    private const string Queue =
        """
        with due as (
            select id, starts_at from flash_sales
            where reminders_queued_at is null and starts_at <= @horizon and ends_at > @now
            order by starts_at limit 10
            for no key update skip locked
        ), queued as (
            update flash_sales s set reminders_queued_at = @now from due where s.id = due.id
        ), notices as (
            insert into notification_outbox (kind, user_id, subject_id)
            select 'sale_opening', r.user_id, r.flash_sale_id from sale_reminders r join due on due.id = r.flash_sale_id
            on conflict do nothing
        )
        select due.id as SaleId, due.starts_at as StartsAt, r.user_id as UserId
        from due left join sale_reminders r on r.flash_sale_id = due.id
        """;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        frames.Start();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(options.Value.PollMilliseconds * 2), clock);
        do
        {
            try
            {
                await QueueDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Queues the reminders of every sale opening within the lead time; returns how many reminders it queued.</summary>
    public async Task<int> QueueDueAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var now = clock.GetUtcNow();
            List<(Guid SaleId, DateTime StartsAt, Guid? UserId)> rows;
            await using (var connection = await db.OpenConnectionAsync(cancellationToken))
            {
                rows = (await connection.QueryAsync<(Guid, DateTime, Guid?)>(new CommandDefinition(Queue,
                    new { now, horizon = now.AddMinutes(options.Value.LeadMinutes) }, cancellationToken: cancellationToken))).AsList();
            }
            if (rows.Count == 0)
            {
                return total;
            }
            foreach (var sale in rows.GroupBy(r => (r.SaleId, r.StartsAt)))
            {
                var users = sale.Where(r => r.UserId is not null).Select(r => r.UserId!.Value).ToList();
                total += users.Count;
                LogQueued(logger, users.Count, sale.Key.SaleId);
                await frames.PublishAsync(sale.Key.SaleId, sale.Key.StartsAt, users);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Queueing sale reminders failed; retrying next period")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Queued {Count} opening reminders of sale {SaleId}")]
    private static partial void LogQueued(ILogger logger, int count, Guid saleId);
}
