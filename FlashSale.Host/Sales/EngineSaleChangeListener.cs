using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Realtime;
using FlashSale.Host.WaitingRoom;
using StackExchange.Redis;

namespace FlashSale.Host.Sales;

/// <summary>
/// Pushes a created or changed sale to the purchase path at once: the definition cache, this host's engine, and
/// the stock authority (Redis keeps the definition every host decides with), the waiting-room catalog, and live
/// screens (a price frame, and a fresh stock/status/queue snapshot). The stock itself is set only when absent, never
/// reset under a live sale.
/// </summary>
public sealed class EngineSaleChangeListener(SaleDefinitions definitions, SaleEngineRegistry engines, IStockAuthority authority,
    WaitingRoomCatalog waitingRooms, RealtimePublisher live, ILogger<EngineSaleChangeListener> logger) : ISaleChangeListener
{
    public async ValueTask SaleChangedAsync(Sale sale, CancellationToken cancellationToken)
    {
        var definition = definitions.Set(sale);
        engines.Update(definition);
        waitingRooms.Apply(sale);
        try
        {
            await authority.EnsureInitializedAsync(definition, cancellationToken);
            var deciding = authority is StockChangeNotifier notifier ? notifier.Inner : authority;
            if (deciding is RedisStockAuthority redis)
            {
                await redis.UpdateSaleAsync(definition, cancellationToken);
            }
            await live.SaleChangedAsync(sale);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Npgsql.NpgsqlException)
        {
            // The sale is saved; the engine initialises the authority on its first purchase instead.
            EngineLog.PrepareFailed(logger, sale.Id, e);
        }
    }
}
