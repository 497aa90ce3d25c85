using FlashSale.Host.Notifications;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Realtime;

public static class RealtimeSetup
{
    /// <summary>
    /// Live updates over /ws and the waiting room's settings, in both purchase-path modes. What differs by mode (the
    /// snapshots the publisher reads, the Redis waiting room and its admission loop) is registered by the mode.
    /// </summary>
    public static IServiceCollection AddFlashSaleRealtime(this IServiceCollection services)
    {
        services.AddOptions<RealtimeOptions>().BindConfiguration(RealtimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WaitingRoomOptions>().BindConfiguration(WaitingRoomOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.TypeInfoResolverChain.Add(WaitingRoomJsonContext.Default);
            json.SerializerOptions.TypeInfoResolverChain.Add(LineControlJsonContext.Default);
        });

        services.AddSingleton<RealtimeHub>();
        services.AddSingleton<ILineFollowers>(sp => sp.GetRequiredService<RealtimeHub>());
        services.AddSingleton<IShopperSockets>(sp => sp.GetRequiredService<RealtimeHub>());
        services.AddSingleton<SocketTokens>();
        services.AddFlashSaleSocketSecurity();
        services.AddSingleton<WaitingRoomCatalog>();
        services.AddSingleton<ISaleChangeListener, WaitingRoomSaleChangeListener>();
        services.AddSingleton<ISaleChangeListener, LiveSaleChangeListener>();
        services.AddSingleton<RealtimePublisher>();
        services.AddHostedService(sp => sp.GetRequiredService<RealtimePublisher>());
        services.AddHostedService<OpeningWarmup>();
        return services;
    }

    public static IApplicationBuilder UseFlashSaleRealtime(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ApplicationServices.GetRequiredService<IOptions<RealtimeOptions>>().Value;
        app.UseWebSockets(new WebSocketOptions
        {
            KeepAliveInterval = TimeSpan.FromSeconds(options.KeepAliveSeconds),
            KeepAliveTimeout = TimeSpan.FromSeconds(options.KeepAliveTimeoutSeconds),
        });
        return app;
    }
}
