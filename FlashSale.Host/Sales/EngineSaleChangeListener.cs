using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Hosting;
using StackExchange.Redis;

namespace FlashSale.Host.Sales;

/// <summary>
/// Pushes a created or changed sale to the purchase path at once: the definition cache, this host's engine, and
/// the stock authority (Redis keeps the definition every host decides with). The stock itself is set only when
/// absent, never reset under a live sale.
/// </summary>
public sealed class EngineSaleChangeListener(SaleDefinitions definitions, SaleEngineRegistry engines, IStockAuthority authority,
    ILogger<EngineSaleChangeListener> logger) : ISaleChangeListener
{
    public async ValueTask SaleChangedAsync(Sale sale, CancellationToken cancellationToken)
    {
        var definition = definitions.Set(sale);
        engines.Update(definition);
        try
        {
            await authority.EnsureInitializedAsync(definition, cancellationToken);
            if (authority is RedisStockAuthority redis)
            {
                await redis.UpdateSaleAsync(definition, cancellationToken);
            }
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Npgsql.NpgsqlException)
        {
            // The sale is saved; the engine initialises the authority on its first purchase instead.
            EngineLog.PrepareFailed(logger, sale.Id, e);
        }
    }
}
