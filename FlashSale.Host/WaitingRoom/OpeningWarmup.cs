using FlashSale.Engine.Core;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// Gets the host ready before a sale opens: sales start at a known time, so the first shopper should not pay for a
/// cold host. At start it opens the PostgreSQL pool's connections (a rush needs them at once, and each costs a
/// handshake and an authentication); and for every waiting-room sale that opens within
/// <see cref="WaitingRoomOptions.WarmupSeconds"/>, once, it loads the sale's definition, installs its state in the
/// stock authority, and runs a place read through the line's desk, so the scripts are loaded, the code paths compiled
/// and the caches filled when the opening's burst arrives. It never reads the sale's snapshot: that read consumes the
/// "status changed" flag every host's publisher relies on (the publisher reads it anyway once sockets watch the sale).
/// </summary>
public sealed partial class OpeningWarmup(
    IStockAuthority authority,
    WaitingRoomCatalog catalog,
    SaleDefinitions definitions,
    NpgsqlDataSource db,
    IOptions<WaitingRoomOptions> options,
    TimeProvider clock,
    ILogger<OpeningWarmup> logger,
    LineDesk? desk = null) : BackgroundService
{
    private readonly HashSet<Guid> _warmed = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.WarmupSeconds <= 0)
        {
            return;
        }
        try
        {
            await WarmPoolAsync(settings.WarmupConnections, stoppingToken);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            LogWarmupFailed(logger, e);
        }
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            foreach (var sale in catalog.Sales)
            {
                var opensIn = sale.StartsAt - now;
                if (opensIn <= TimeSpan.Zero || opensIn > TimeSpan.FromSeconds(settings.WarmupSeconds) || !_warmed.Add(sale.SaleId))
                {
                    continue;
                }
                try
                {
                    await WarmSaleAsync(sale.SaleId, stoppingToken);
                }
                catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or NpgsqlException or InvalidOperationException)
                {
                    _warmed.Remove(sale.SaleId); // the next tick tries again
                    LogWarmupFailed(logger, e);
                }
            }
        }
    }

    private async Task WarmPoolAsync(int connections, CancellationToken cancellationToken)
    {
        // Never more than half the pool: the warm-up must not hold connections that requests are waiting for.
        connections = Math.Min(connections, new NpgsqlConnectionStringBuilder(db.ConnectionString).MaxPoolSize / 2);
        var open = new List<NpgsqlConnection>(connections);
        try
        {
            var opening = Enumerable.Range(0, connections).Select(_ => db.OpenConnectionAsync(cancellationToken).AsTask()).ToArray();
            open.AddRange(await Task.WhenAll(opening));
        }
        finally
        {
            foreach (var connection in open)
            {
                await connection.DisposeAsync(); // back to the pool, open
            }
        }
    }

    private async Task WarmSaleAsync(Guid saleId, CancellationToken cancellationToken)
    {
        if (await definitions.FindAsync(saleId, cancellationToken) is not { } sale)
        {
            return;
        }
        await authority.EnsureInitializedAsync(sale, cancellationToken);
        if (desk is not null) // the Redis purchase path only
        {
            await desk.PlaceAsync(saleId, Guid.Empty, join: false);
        }
        LogWarmed(logger, saleId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Ready for the opening of sale {SaleId}")]
    private static partial void LogWarmed(ILogger logger, Guid saleId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming up for a sale's opening failed")]
    private static partial void LogWarmupFailed(ILogger logger, Exception exception);
}
