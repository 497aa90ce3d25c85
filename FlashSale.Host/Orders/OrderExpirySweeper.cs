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
        var total = 0;
        int expired;
        do
        {
            expired = await lifecycle.ExpireDueAsync(options.Value.SweepBatch, cancellationToken);
            total += expired;
        }
        while (expired == options.Value.SweepBatch);
        return total + await returns.FinishPendingAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Order expiry sweep failed; retrying next period")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception);
}
