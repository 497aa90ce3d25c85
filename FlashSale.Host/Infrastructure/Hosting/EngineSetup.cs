using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Orders;
using FlashSale.Host.Orders.Payments;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Hosting;

public static class EngineSetup
{
    /// <summary>The service key of the authority that decides (Redis or in-process), without the live-update notifier.</summary>
    public const string DecidingAuthority = "deciding";

    /// <summary>
    /// The purchase path: Redis Lua as the stock authority when Redis is configured (several hosts), else the
    /// in-process authority (one host); in both cases the PostgreSQL group-commit journal and one engine per sale.
    /// </summary>
    public static IServiceCollection AddFlashSaleEngine(this IServiceCollection services)
    {
        // One options type per concern, bound straight from its section and validated at start: nothing copies them.
        services.AddOptions<SaleEngineOptions>().BindConfiguration("Engine")
            .Configure<ILoggerFactory>((options, logs) =>
            {
                var logger = logs.CreateLogger("FlashSale.Engine");
                options.OnFault = (saleId, error) => EngineLog.Fault(logger, saleId, error);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SaleEngineOptions>, SaleEngineOptionsValidator>();
        services.AddOptions<PostgresOrderJournalOptions>().BindConfiguration("Journal")
            .Validate(options => options.Writers is >= 1 and <= 16, "Journal:Writers must be 1 to 16.").ValidateOnStart();
        services.AddOptions<FlashSaleRedisOptions>().BindConfiguration("Redis").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OrderSweepOptions>().BindConfiguration(OrderSweepOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(sp => new PostgresSaleStateReader(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new PostgresOrderJournal(sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<PostgresOrderJournalOptions>>().Value));
        services.AddSingleton<IOrderJournal>(sp => sp.GetRequiredService<PostgresOrderJournal>());
        services.AddKeyedSingleton<IStockAuthority>(DecidingAuthority, (sp, _) =>
        {
            var durable = sp.GetRequiredService<PostgresSaleStateReader>();
            if (sp.GetRequiredService<RedisMode>().Enabled)
            {
                return new RedisStockAuthority(sp.GetRequiredService<IConnectionMultiplexer>(), durable, sp.GetRequiredService<IOptions<FlashSaleRedisOptions>>().Value,
                    sp.GetRequiredService<TimeProvider>());
            }
            // One host, no Redis: the engine's own authority, rebuilt from PostgreSQL when a sale is first used so
            // a restart never sells units that are already taken.
            return new InProcessStockAuthority(durable);
        });
        // Everyone else sees the deciding authority through a notifier that raises the sale's live stock signal
        // once per batch that sold something and once per return of units.
        services.AddSingleton<IStockAuthority>(sp => new StockChangeNotifier(
            sp.GetRequiredKeyedService<IStockAuthority>(DecidingAuthority), sp.GetRequiredService<SaleSignals>()));
        services.AddSingleton(sp => new SaleEngineRegistry(sp.GetRequiredService<IStockAuthority>(), sp.GetRequiredService<IOrderJournal>(),
            sp.GetRequiredService<IOptions<SaleEngineOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SaleDefinitions>();
        services.AddSingleton<ISaleStockReader, AuthoritySaleStockReader>();
        services.AddSingleton<ISaleChangeListener, EngineSaleChangeListener>();
        services.AddSingleton<SaleAudit>();
        services.AddSingleton<OrderStore>();
        services.AddFlashSalePayments();
        services.AddSingleton<UnitReturns>();
        services.AddSingleton<OrderLifecycle>();
        services.AddSingleton<OrderExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<OrderExpirySweeper>());
        services.AddSingleton(sp => sp.GetRequiredService<RedisMode>().Enabled
            ? new OrderStreamReconciler(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOrderJournal>(),
                sp.GetRequiredService<IOptions<FlashSaleRedisOptions>>().Value, sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddHostedService<EngineLifetime>();
        return services;
    }
}
