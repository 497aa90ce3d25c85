using FlashSale.Host.Infrastructure.Telemetry;

namespace FlashSale.Host.Sales;

/// <summary>
/// Audits every sale that has started and ended less than an hour ago, every <see cref="Period"/>, and publishes the
/// verdict as <c>flashsale.audit.inconsistent</c> (1 or 0 per sale) for the "audit inconsistent" alert. Runs only while
/// metrics are exported. A storm keeps orders in flight between Redis and PostgreSQL, so one unbalanced audit proves
/// nothing: an unbalanced sale is audited again after <see cref="Recheck"/>, and counts as inconsistent only when the
/// books did not move in between (same figures, still unbalanced) — settled books that disagree. Books that moved leave
/// the previous verdict in place until a quiet moment.
/// </summary>
public sealed partial class AuditWatch(SaleStore sales, SaleAudit audit, TimeProvider clock, ILogger<AuditWatch> logger) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan Recheck = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan EndedWithin = TimeSpan.FromHours(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, clock);
        do
        {
            try
            {
                await AuditOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogAuditFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Audits the live sales once; returns the ids found settled and unbalanced.</summary>
    public async Task<IReadOnlyList<Guid>> AuditOnceAsync(CancellationToken cancellationToken)
    {
        var inconsistent = new List<Guid>();
        var now = clock.GetUtcNow();
        foreach (var sale in await sales.ListLiveAsync(EndedWithin, cancellationToken))
        {
            if (sale.StartsAt > now.UtcDateTime)
            {
                continue;
            }
            var first = await audit.RunAsync(sale, cancellationToken);
            if (!first.Consistent)
            {
                await Task.Delay(Recheck, clock, cancellationToken);
                var second = await audit.RunAsync(sale, cancellationToken);
                if (second.Consistent)
                {
                    first = second;
                }
                else if (second != first)
                {
                    continue; // still moving: no verdict this time
                }
            }
            if (!first.Consistent)
            {
                inconsistent.Add(sale.Id);
            }
            HostMetrics.AuditInconsistent.Record(first.Consistent ? 0 : 1, HostMetrics.SaleTag(sale.Id));
        }
        return inconsistent;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Periodic sale audit failed; retrying next period")]
    private static partial void LogAuditFailed(ILogger logger, Exception exception);
}
