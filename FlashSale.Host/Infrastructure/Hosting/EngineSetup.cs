using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Events;
using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Orders;
using FlashSale.Host.Orders.Payments;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;
using Microsoft.Extensions.Options;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// The purchase path, chosen once here from <c>PurchasePath:Mode</c>: reading this file tells which services exist in
/// each mode. Both modes share the engine, the journal, the definition cache, sale changes and the order life cycle;
/// what differs is who decides stock (Redis Lua or the engine's own authority), how events reach the other hosts, and
/// the advisory lock each host holds on the database (see <see cref="PurchasePathLock"/>).
/// </summary>
public static class EngineSetup
{
    public static IServiceCollection AddFlashSaleEngine(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PurchasePathOptions>().BindConfiguration(PurchasePathOptions.Section)
            .Validate<IConfiguration>(PurchasePathOptions.FitsConnectionStrings, PurchasePathOptions.MismatchMessage).ValidateOnStart();
        var mode = PurchasePathOptions.ModeOf(configuration);
        if (!PurchasePathOptions.FitsConnectionStrings(new PurchasePathOptions { Mode = mode }, configuration))
        {
            // Refused while the host is composed, before anything starts: a mode that does not fit is never half-built.
            throw new InvalidOperationException(PurchasePathOptions.MismatchMessage);
        }
        services.AddPurchasePathCommon();
        return mode == PurchasePathMode.SingleHost
            ? services.AddSingleHostPurchasePath()
            : services.AddRedisPurchasePath();
    }

    /// <summary>Several hosts: Redis Lua decides stock, streams carry accepted orders until PostgreSQL has them, pub/sub relays events.</summary>
    public static IServiceCollection AddRedisPurchasePath(this IServiceCollection services)
    {
        services.AddSingleton(sp => new PurchasePathLock(sp.GetRequiredService<NpgsqlDataSource>(), PurchasePathMode.Redis,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PurchasePathLock>>()));
        // First of the hosted services: a host that cannot share the database with the others starts nothing else.
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<PurchasePathLock>()));
        services.AddFlashSaleRedis();
        services.AddOptions<FlashSaleRedisOptions>().BindConfiguration("Redis").ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton(sp => new RedisStockAuthority(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<PostgresSaleStateReader>(),
            sp.GetRequiredService<IOptions<FlashSaleRedisOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IStockAuthority>(sp => sp.GetRequiredService<RedisStockAuthority>());
        services.AddSingleton(sp => new OrderStreamReconciler(sp.GetRequiredService<IConnectionMultiplexer>(), sp.GetRequiredService<IOrderJournal>(),
            sp.GetRequiredService<IOptions<FlashSaleRedisOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton(sp => new RedisEventChannel(sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<RealtimeOptions>>().Value.Channel, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RedisEventChannel>>()));
        services.AddSingleton<IEventChannel>(sp => sp.GetRequiredService<RedisEventChannel>());
        services.AddHostedService(sp => sp.GetRequiredService<RedisEventChannel>());
        services.AddSingleton(sp => new RedisWaitingRoom(sp.GetRequiredService<IConnectionMultiplexer>()));
        services.AddSingleton(sp => new PostgresLineJournal(sp.GetRequiredService<NpgsqlDataSource>()));
        services.AddSingleton(sp => new LineDesk(sp.GetRequiredService<RedisWaitingRoom>(), sp.GetRequiredService<PostgresLineJournal>(),
            sp.GetRequiredService<IOptions<WaitingRoomOptions>>()));
        services.AddSingleton<ISaleSnapshots>(sp => new RedisSaleSnapshots(sp.GetRequiredService<RedisWaitingRoom>()));
        services.AddSingleton<PrequeueDraw>();
        services.AddSingleton<AdmissionLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<AdmissionLoop>());
        services.AddSingleton<LinePresence>();
        services.AddHostedService(sp => sp.GetRequiredService<LinePresence>());
        services.AddHostedService<EngineLifetime>();
        services.AddSingleton<ISocketTickets>(sp => new RedisSocketTickets(sp.GetRequiredService<IConnectionMultiplexer>(),
            sp.GetRequiredService<IOptions<SocketAdmissionOptions>>()));
        return services;
    }

    /// <summary>
    /// One host alone, no Redis: the engine's in-process authority decides (rebuilt from PostgreSQL when a sale is first
    /// used), events loop back to this host's screens, and the waiting room is not offered.
    /// </summary>
    public static IServiceCollection AddSingleHostPurchasePath(this IServiceCollection services)
    {
        services.AddSingleton(sp => new PurchasePathLock(sp.GetRequiredService<NpgsqlDataSource>(), PurchasePathMode.SingleHost,
            sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<PurchasePathLock>>()));
        services.Insert(0, ServiceDescriptor.Singleton<IHostedService>(sp => sp.GetRequiredService<PurchasePathLock>()));
        services.AddSingleton(new RedisHealth(null));
        services.AddSingleton<IStockAuthority>(sp => new InProcessStockAuthority(sp.GetRequiredService<PostgresSaleStateReader>()));
        services.AddSingleton<IEventChannel, LocalEventChannel>();
        services.AddSingleton<ISaleSnapshots>(sp => new LocalSaleSnapshots(sp.GetRequiredService<IStockAuthority>(), sp.GetRequiredService<SaleDefinitions>()));
        services.AddSingleton<ISocketTickets>(sp => new LocalSocketTickets(sp.GetRequiredService<IOptions<SocketAdmissionOptions>>(),
            sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>What both modes share.</summary>
    private static void AddPurchasePathCommon(this IServiceCollection services)
    {
        // One options type per concern, bound straight from its section and validated at start: nothing copies them.
        services.AddOptions<SaleEngineOptions>().BindConfiguration("Engine")
            .Configure<ILoggerFactory, SaleSignals>((options, logs, signals) =>
            {
                var logger = logs.CreateLogger("FlashSale.Engine");
                options.OnFault = (saleId, error) => EngineLog.Fault(logger, saleId, error);
                // The engine tells when a sale's stock moved; live screens read it at their next tick.
                options.OnStockChanged = saleId => signals.Mark(saleId, SaleSignals.Stock);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SaleEngineOptions>, SaleEngineOptionsValidator>();
        services.AddOptions<PostgresOrderJournalOptions>().BindConfiguration("Journal")
            .Validate(options => options.Writers is >= 1 and <= 16, "Journal:Writers must be 1 to 16.").ValidateOnStart();
        services.AddOptions<OrderSweepOptions>().BindConfiguration(OrderSweepOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<SaleSignals>();
        services.AddSingleton(sp => new PostgresSaleStateReader(sp.GetRequiredService<NpgsqlDataSource>()));
        // The commit writes only orders: their "reserved" notices are fed from the rows afterwards (Notifications/ReservedNoticeFeeder).
        services.AddSingleton(sp => new PostgresOrderJournal(sp.GetRequiredService<NpgsqlDataSource>(),
            sp.GetRequiredService<IOptions<PostgresOrderJournalOptions>>().Value));
        services.AddSingleton<IOrderJournal>(sp => sp.GetRequiredService<PostgresOrderJournal>());
        services.AddSingleton(sp => new SaleEngineRegistry(sp.GetRequiredService<IStockAuthority>(), sp.GetRequiredService<IOrderJournal>(),
            sp.GetRequiredService<IOptions<SaleEngineOptions>>().Value, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<SaleDefinitions>();
        services.AddSingleton<ISaleStockReader, AuthoritySaleStockReader>();
        // Listeners run in registration order: the purchase path first, then (AddFlashSaleRealtime) the waiting room and screens.
        services.AddSingleton<ISaleChangeListener, EngineSaleChangeListener>();
        services.AddSingleton<SaleChanges>();
        services.AddHostedService(sp => sp.GetRequiredService<SaleChanges>());
        services.AddSingleton<SaleAudit>();
        services.AddSingleton<OrderStore>();
        services.AddFlashSalePayments();
        services.AddSingleton<UnitReturns>();
        services.AddSingleton<PayDesk>();
        services.AddSingleton<OrderLifecycle>();
        services.AddSingleton<SweeperBacklog>();
        services.AddSingleton<OrderExpirySweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<OrderExpirySweeper>());
    }
}
