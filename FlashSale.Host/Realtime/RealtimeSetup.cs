using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.Realtime;

public static class RealtimeSetup
{
    /// <summary>The waiting room (Redis mode) and live updates over /ws (both modes).</summary>
    public static IServiceCollection AddFlashSaleRealtime(this IServiceCollection services)
    {
        services.AddOptions<RealtimeOptions>().BindConfiguration(RealtimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WaitingRoomOptions>().BindConfiguration(WaitingRoomOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(WaitingRoomJsonContext.Default));

        services.AddSingleton<SaleSignals>();
        services.AddSingleton<RealtimeHub>();
        services.AddSingleton<SocketTokens>();
        services.AddFlashSaleSocketSecurity();
        services.AddSingleton<WaitingRoomCatalog>();
        services.AddSingleton(sp => sp.GetRequiredService<RedisMode>().Enabled
            ? new RedisWaitingRoom(sp.GetRequiredService<IConnectionMultiplexer>())
            : null!);
        services.AddSingleton(sp => sp.GetRequiredService<RedisMode>().Enabled
            ? new LineDesk(sp.GetRequiredService<RedisWaitingRoom>(), sp.GetRequiredService<IOptions<WaitingRoomOptions>>())
            : null!);
        services.AddSingleton<ISaleSnapshots>(sp => sp.GetRequiredService<RedisMode>().Enabled
            ? new RedisSaleSnapshots(sp.GetRequiredService<RedisWaitingRoom>())
            : new LocalSaleSnapshots(sp.GetRequiredKeyedService<IStockAuthority>(EngineSetup.DecidingAuthority), sp.GetRequiredService<SaleDefinitions>()));
        services.AddSingleton<RealtimePublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<RealtimePublisher>());
        services.AddSingleton<AdmissionLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<AdmissionLoop>());
        services.AddHostedService<OpeningWarmup>();
        return services;
    }

    public static WebApplication UseFlashSaleRealtime(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAliveSeconds),
            KeepAliveTimeout = TimeSpan.FromSeconds(options.KeepAliveTimeoutSeconds),
        });
        return app;
    }
}
