using System.ComponentModel.DataAnnotations;
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

/// <summary>The purchase engine's settings, bound from <c>Engine</c>.</summary>
public sealed class EngineHostOptions
{
    public const string Section = "Engine";

    [Range(16, SaleEngineOptions.MaxQueueCapacity)]
    public int QueueCapacity { get; set; } = 16_384;

    [Range(1, SaleEngineOptions.MaxBatchLimit)]
    public int BatchLimit { get; set; } = 1_024;

    /// <summary>How often the reconciler replays Redis order streams into PostgreSQL (multi-node mode).</summary>
    [Range(0.1, 3600)]
    public double ReconcileIntervalSeconds { get; set; } = 5;

    /// <summary>Group-commit writers of the order journal (PostgreSQL connections committing in parallel).</summary>
    [Range(1, 16)]
    public int JournalWriters { get; set; } = 2;

    /// <summary>Batches of a sale whose orders may be committing while its loop decides the next (see SaleEngineOptions).</summary>
    [Range(1, SaleEngineOptions.MaxCommitsInFlight)]
    public int CommitsInFlight { get; set; } = 2;
}

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
        services.AddOptions<EngineHostOptions>().BindConfiguration(EngineHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<OrderSweepOptions>().BindConfiguration(OrderSweepOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton(sp => new PostgresSaleStateReader(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new PostgresOrderJournal(sp.GetRequiredService<NpgsqlDataSource>(),
            new PostgresOrderJournalOptions { Writers = sp.GetRequiredService<IOptions<EngineHostOptions>>().Value.JournalWriters }));
        services.AddSingleton<IOrderJournal>(sp => sp.GetRequiredService<PostgresOrderJournal>());
        services.AddOptions<RedisHostOptions>().BindConfiguration(RedisHostOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new FlashSaleRedisOptions
        {
            ReconcileMinEntryAge = TimeSpan.FromSeconds(2),
            EndedSaleRetention = sp.GetRequiredService<IOptions<RedisHostOptions>>().Value.EndedSaleRetention,
            SalesSetKey = sp.GetRequiredService<IOptions<RedisHostOptions>>().Value.SalesSetKey,
        });
        services.AddKeyedSingleton<IStockAuthority>(DecidingAuthority, (sp, _) =>
        {
            var durable = sp.GetRequiredService<PostgresSaleStateReader>();
            if (sp.GetRequiredService<RedisMode>().Enabled)
            {
                return new RedisStockAuthority(sp.GetRequiredService<IConnectionMultiplexer>(), durable, sp.GetRequiredService<FlashSaleRedisOptions>(),
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
        services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<EngineHostOptions>>().Value;
            var logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger("FlashSale.Engine");
            return new SaleEngineRegistry(sp.GetRequiredService<IStockAuthority>(), sp.GetRequiredService<IOrderJournal>(),
                new SaleEngineOptions
                {
                    QueueCapacity = options.QueueCapacity,
                    BatchLimit = options.BatchLimit,
                    CommitsInFlight = options.CommitsInFlight,
                    OnFault = (saleId, error) => EngineLog.Fault(logger, saleId, error),
                },
                sp.GetRequiredService<TimeProvider>());
        });
        services.AddSingleton<SaleDefinitions>();
        services.AddSingleton<ISaleStockReader, AuthoritySaleStockReader>();
        services.AddSingleton<ISaleChangeListener, EngineSaleChangeListener>();
        services.AddSingleton<SaleAudit>();
        services.AddSingleton<OrderStore>();
        services.AddSingleton<IPaymentGateway, TestPaymentGateway>();
        services.AddSingleton<UnitReturns>();
        services.AddSingleton<OrderLifecycle>();
        services.AddSingleton<OrderExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<OrderExpirySweeper>());
        services.AddSingleton(sp => sp.GetRequiredService<RedisMode>().Enabled
            ? new OrderStreamReconciler(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOrderJournal>(),
                sp.GetRequiredService<FlashSaleRedisOptions>(), sp.GetRequiredService<TimeProvider>())
            : null!);
        services.AddHostedService<EngineLifetime>();
        return services;
    }
}
