using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// Starts and stops the purchase path: loads the Lua scripts, replays Redis order streams into PostgreSQL at
/// start-up and every few seconds (multi-node mode), and on shutdown lets every engine decide and commit what is
/// already queued before the journal closes.
/// </summary>
public sealed class EngineLifetime(IServiceProvider services, RedisMode redisMode, IOptions<EngineHostOptions> options,
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
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.ReconcileIntervalSeconds), clock);
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

    // Resolved up front: with minimal hosting the host can be stopped twice at once (the test host's StopAsync and
    // the entry point's RunAsync, which then disposes the provider), so stopping must not resolve services late.
    private readonly SaleEngineRegistry _engines = services.GetRequiredService<SaleEngineRegistry>();
    private readonly PostgresOrderJournal _journal = services.GetRequiredService<PostgresOrderJournal>();
    private readonly Lock _stopGate = new();
    private Task? _stopping;

    /// <summary>Idempotent: a second caller waits for the same drain instead of closing the journal under it.</summary>
    public override Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            return _stopping ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _engines.DisposeAsync();
        await _journal.DisposeAsync();
    }
}
