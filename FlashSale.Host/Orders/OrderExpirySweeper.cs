using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Orders;

public sealed class OrderSweepOptions
{
    public const string Section = "Orders";

    /// <summary>How often the sweeper looks for reserved orders past their deadline.</summary>
    [Range(0.05, 3600)]
    public double SweepIntervalSeconds { get; set; } = 1;

    /// <summary>
    /// How long past its deadline an order whose payment started is left alone before the sweeper asks the gateway
    /// whether it was charged. Longer than <see cref="ChargeTimeoutSeconds"/>, so no charge this host still waits for
    /// can land on an order the sweeper expired.
    /// </summary>
    [Range(0, 3600)]
    public double PaymentGraceSeconds { get; set; } = 30;

    /// <summary>How long pay waits for the gateway before it gives up (the attempt stays marked for the sweeper).</summary>
    [Range(0.1, 600)]
    public double ChargeTimeoutSeconds { get; set; } = 10;

    /// <summary>Reserved orders expired, and their units returned, per batch.</summary>
    [Range(1, 100_000)]
    public int SweepBatch { get; set; } = 2_000;

    /// <summary>
    /// Batches this host expires at the same time when many orders are due at once (a sale's payment window ending).
    /// One batch at a time left the database idle while its units went back to Redis and the machine mostly waiting
    /// on commits; the batches never take the same order (SKIP LOCKED), as with several hosts.
    /// </summary>
    [Range(1, 16)]
    public int SweepLanes { get; set; } = 2;
}

/// <summary>
/// Expires reserved orders past their deadline and returns their units; also finishes returns a crash left
/// half-done. Every host runs one; they never step on each other (see <see cref="OrderLifecycle.ExpireDueAsync"/>).
/// </summary>
public sealed partial class OrderExpirySweeper(OrderLifecycle lifecycle, UnitReturns returns, IOptions<OrderSweepOptions> options,
    TimeProvider clock, ILogger<OrderExpirySweeper> logger, SweeperBacklog backlog) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.SweepIntervalSeconds), clock);
        do
        {
            try
            {
                await SweepOnceAsync(stoppingToken);
                await backlog.RecordAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogSweepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task<int> SweepOnceAsync(CancellationToken cancellationToken)
    {
        var batch = options.Value.SweepBatch;
        // Once a pass, ahead of the batches: every lane asking the gateway about the same attempts would be work twice.
        await lifecycle.SettleOverdueAttemptsAsync(batch, cancellationToken);
        // The first batch alone: a pass with little due (every second, mostly) costs one statement, not one per lane.
        var total = await lifecycle.ExpireDueAsync(batch, cancellationToken);
        if (total == batch)
        {
            var lanes = await Task.WhenAll(Enumerable.Range(0, options.Value.SweepLanes).Select(_ => DrainAsync(batch, cancellationToken)));
            total += lanes.Sum();
        }
        return total + await returns.FinishPendingAsync(cancellationToken);
    }

    /// <summary>Expires batch after batch until one comes back short: nothing more is due.</summary>
    private async Task<int> DrainAsync(int batch, CancellationToken cancellationToken)
    {
        var total = 0;
        int expired;
        do
        {
            expired = await lifecycle.ExpireDueAsync(batch, cancellationToken);
            total += expired;
        }
        while (expired == batch);
        return total;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order expiry sweep failed; retrying next period")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
