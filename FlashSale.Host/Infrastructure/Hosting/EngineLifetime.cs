using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// The Redis purchase path's background work on every host: loads the Lua scripts, then at start-up and every
/// <see cref="FlashSaleRedisOptions.ReconcileInterval"/> replays Redis order streams into PostgreSQL and re-syncs every
/// live sale from PostgreSQL (Redis' meta and this host's definitions take any version they missed). Shutdown needs no
/// code here: the container disposes the registry (every engine decides and commits what is already queued) before the
/// journal it depends on.
/// </summary>
public sealed class EngineLifetime(RedisStockAuthority authority, RedisWaitingRoom waitingRoom, OrderStreamReconciler reconciler,
    SaleChanges changes, IOptions<FlashSaleRedisOptions> options, TimeProvider clock, ILogger<EngineLifetime> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var scriptsLoaded = false;
        using var timer = new PeriodicTimer(settings.ReconcileInterval, clock);
        do
        {
            try
            {
                if (!scriptsLoaded)
                {
                    await authority.LoadScriptsAsync();
                    await waitingRoom.LoadScriptsAsync();
                    scriptsLoaded = true;
                }
                var result = await reconciler.ReconcileOnceAsync(stoppingToken);
                if (result.EntriesCommitted > 0)
                {
                    EngineLog.Reconciled(logger, result.EntriesCommitted, result.Sales);
                }
                if (result.SalesFenced > 0)
                {
                    EngineLog.ReconcileFenced(logger, result.SalesFenced);
                }
                ReconcilerMetrics.Passed(result, clock);
            }
#pragma warning disable CA1031 // An exception out of ExecuteAsync stops the host (HostOptions.BackgroundServiceExceptionBehavior): whatever a pass meets, the next period retries it.
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                EngineLog.ReconcileFailed(logger, e);
                ReconcilerMetrics.Failed();
            }
            try
            {
                await changes.ResyncAsync(settings.EndedSaleRetention, stoppingToken);
            }
#pragma warning disable CA1031 // as above: a failed re-sync must not stop the host
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
#pragma warning restore CA1031
            {
                EngineLog.ResyncFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
