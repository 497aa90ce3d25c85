using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// Starts and stops the purchase path: loads the Lua scripts, replays Redis order streams into PostgreSQL at
/// start-up and every few seconds (multi-node mode). Shutdown needs no code here: the container disposes the
/// registry (every engine decides and commits what is already queued) before the journal it depends on.
/// </summary>
public sealed class EngineLifetime(IServiceProvider services, RedisMode redisMode, IOptions<FlashSaleRedisOptions> options,
    TimeProvider clock, ILogger<EngineLifetime> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!redisMode.Enabled)
        {
            return;
        }
        var authority = (RedisStockAuthority)services.GetRequiredKeyedService<IStockAuthority>(EngineSetup.DecidingAuthority);
        var waitingRoom = services.GetRequiredService<RedisWaitingRoom>();
        var reconciler = services.GetRequiredService<OrderStreamReconciler>();
        var scriptsLoaded = false;
        using var timer = new PeriodicTimer(options.Value.ReconcileInterval, clock);
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
            }
            catch (Exception e) when (e is RedisException or Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
            {
                EngineLog.ReconcileFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }
}
