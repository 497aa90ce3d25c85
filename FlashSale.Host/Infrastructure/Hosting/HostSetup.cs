using System.Runtime.CompilerServices;
using System.Text.Json.Serialization;
using FlashSale.Host.Accounts;
using FlashSale.Host.Catalog;
using FlashSale.Host.Health;
using FlashSale.Host.Infrastructure.Persistence;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Infrastructure.Seeding;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.LoadTesting;
using FlashSale.Host.Notifications;
using FlashSale.Host.Orders;
using FlashSale.Host.Realtime;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Service registration and the request pipeline, shared by serving and by the migrate/seed verbs.</summary>
public static class HostSetup
{
    public static WebApplicationBuilder AddFlashSale(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureConnectionLimit(kestrel, builder.Configuration));
        builder.WebHost.UseSockets(sockets => sockets.Backlog = ListenBacklog(builder.Configuration));
        services.AddTransportBlockPool();
        builder.AddFlashSaleSecurity();
        builder.AddPrometheusAddress();
        builder.AddFlashSaleLogging();

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StartTime(sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, FlashSaleJsonContext.Default);
        });
        services.AddFlashSaleProblems();
        services.AddFlashSalePersistence();
        services.AddFlashSaleAuthentication();
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddOptions<LoadTestingOptions>().BindConfiguration(LoadTestingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<Microsoft.Extensions.Options.IValidateOptions<LoadTestingOptions>, LoadTestingOptionsValidator>();

        services.AddFlashSaleAccounts();
        services.AddSingleton<ProductStore>();
        services.AddSingleton<SaleStore>();
        services.AddSingleton<Seeder>();
        services.AddFlashSaleEngine(builder.Configuration);
        services.AddFlashSaleRealtime();
        services.AddFlashSaleNotifications(builder.Configuration);
        services.AddFlashSaleTelemetry(builder.Configuration);
        if (TelemetrySetup.MetricsExported(builder.Configuration))
        {
            // Figures only a periodic check knows (the audit's verdict, whether Redis and PostgreSQL answer), computed
            // only while someone collects them.
            services.AddSingleton<AuditWatch>();
            services.AddHostedService(sp => sp.GetRequiredService<AuditWatch>());
            services.AddHostedService<DependencyProbe>();
        }

        return builder;
    }

    /// <summary>Default cap on open client connections of every kind (<c>Connections:MaxOpen</c> overrides it).</summary>
    public const int DefaultMaxOpenConnections = 18_000;

    /// <summary>
    /// Default length of the listening socket's accept queue (<c>Connections:ListenBacklog</c> overrides it; the kernel
    /// caps it at <c>net.core.somaxconn</c>, 4,096 on current Linux).
    /// </summary>
    public const int DefaultListenBacklog = 16_384;

    /// <summary>
    /// The process may hold 20,000 open files and .NET aborts near 19,900 open sockets, so the host refuses client
    /// connections beyond <c>Connections:MaxOpen</c> (18,000) instead of dying. One counter covers plain HTTP and
    /// upgraded (WebSocket) connections together: Kestrel's own two limits count them apart (an upgrade moves a
    /// connection from one to the other), so no pair of them bounds the sum, and a rush of 10,000 WebSocket
    /// handshakes beside the HTTP pool must fit under one cap.
    /// </summary>
    private static void ConfigureConnectionLimit(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, IConfiguration configuration)
    {
        var max = configuration.GetValue<int?>("Connections:MaxOpen") ?? DefaultMaxOpenConnections;
        var open = new StrongBox<int>(0);
        kestrel.ConfigureEndpointDefaults(listen =>
        {
            // One address's flood is refused before it takes slots of the global count.
            ConnectionGuards.UsePerAddressLimit(listen, configuration);
            listen.Use(next => async connection =>
            {
                if (Interlocked.Increment(ref open.Value) > max)
                {
                    Interlocked.Decrement(ref open.Value);
                    connection.Abort(new Microsoft.AspNetCore.Connections.ConnectionAbortedException("FlashSale: too many open connections"));
                    return;
                }
                try
                {
                    await next(connection);
                }
                finally
                {
                    Interlocked.Decrement(ref open.Value);
                }
            });
        });
    }

    /// <summary>
    /// The accept queue must hold a connect storm: at Kestrel's default (512) the kernel dropped most of 10,000
    /// shoppers' connections arriving in one second, and each came back only after a SYN retransmit, 1 s later.
    /// </summary>
    private static int ListenBacklog(IConfiguration configuration)
    {
        var backlog = configuration.GetValue<int?>("Connections:ListenBacklog") ?? DefaultListenBacklog;
        return backlog > 0 ? backlog : throw new InvalidOperationException($"Connections:ListenBacklog must be positive, not {backlog}.");
    }

    public static WebApplication UseFlashSale(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // First: the metrics port answers the scrape and nothing else, before any of the shop's middleware.
        app.UsePrometheusEndpoint();
        app.UseFlashSaleForwardedHeaders();
        app.UseFlashSaleRequestLog();
        // /ws skips what follows (authentication, authorization, rate limiter, status-code pages, endpoint
        // middleware): each would keep state alive for the socket's whole life. It checks its own ticket.
        app.UseLongLivedEndpoints(socket =>
        {
            socket.UseFlashSaleHttpHardening();
            socket.UseFlashSaleRealtime();
        });
        app.UseFlashSaleProblems();
        app.UseFlashSaleHttpHardening();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseAuthentication();
        app.UseAuthorization();
        // After authentication: the shopper limits count per user.
        app.UseRateLimiter();
        app.UseFlashSaleRealtime();

        app.MapHealth();
        app.MapAccounts();
        app.MapCatalog();
        app.MapSales();
        app.MapPurchases();
        app.MapOrders();
        app.MapWaitingRoom();
        app.MapLineControl();
        app.MapFairness();
        app.MapRealtime();
        app.MapNotifications();
        app.MapLoadTesting();
        return app;
    }
}
