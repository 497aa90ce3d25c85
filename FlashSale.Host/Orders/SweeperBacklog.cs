using Dapper;
using FlashSale.Host.Infrastructure.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Orders;

/// <summary>
/// What the expiry sweeper has left behind, for the "sweeper behind" alert: reserved orders a minute past their deadline
/// and grace that are still reserved (their units are held from shoppers), and ended orders whose units have not gone
/// back a minute after they ended. Both counts read the partial indexes that hold only such orders, so they stay cheap
/// however long the order history is, and they run only while someone collects the figures.
/// </summary>
public sealed class SweeperBacklog(NpgsqlDataSource db, IOptions<OrderSweepOptions> options, TimeProvider clock)
{
    /// <summary>How late an order may be before it counts: a sweep runs every second, so a minute is clearly behind.</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    /// <summary>Counts the backlog and records it with the time of this successful sweep.</summary>
    public async Task RecordAsync(CancellationToken cancellationToken)
    {
        if (!HostMetrics.SweeperOverdue.Enabled)
        {
            return;
        }
        var now = clock.GetUtcNow();
        var (overdue, pendingReturns) = await CountAsync(now, cancellationToken);
        HostMetrics.SweeperOverdue.Record(overdue);
        HostMetrics.SweeperPendingReturns.Record(pendingReturns);
        HostMetrics.SweeperLastSuccess.Record(now.ToUnixTimeMilliseconds() / 1000.0);
    }

    public async Task<(long Overdue, long PendingReturns)> CountAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition(
            """
            select (select count(*) from orders where status = 'reserved' and expires_at < @OverdueBefore),
                   (select count(*) from orders where status in ('expired', 'cancelled') and returned_at is null and updated_at < @EndedBefore)
            """,
            new
            {
                OverdueBefore = now - TimeSpan.FromSeconds(options.Value.PaymentGraceSeconds) - Slack,
                EndedBefore = now - Slack,
            },
            cancellationToken: cancellationToken));
    }
}
