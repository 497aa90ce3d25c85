using System.Text.Json.Serialization;
using FlashSale.Host.Accounts;
using FlashSale.Host.Catalog;
using FlashSale.Host.Health;
using FlashSale.Host.Infrastructure.Persistence;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Infrastructure.Seeding;
using FlashSale.Host.LoadTesting;
using FlashSale.Host.Orders;
using FlashSale.Host.Sales;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Service registration and the request pipeline, shared by serving and by the migrate/seed verbs.</summary>
public static class HostSetup
{
    public static WebApplicationBuilder AddFlashSale(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        builder.WebHost.ConfigureKestrel(kestrel => ConfigureConnectionLimits(kestrel.Limits, builder.Configuration));

        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StartTime(sp.GetRequiredService<TimeProvider>().GetUtcNow()));
        services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.NumberHandling = JsonNumberHandling.Strict;
            json.SerializerOptions.TypeInfoResolverChain.Insert(0, FlashSaleJsonContext.Default);
        });
        services.AddFlashSaleProblems();
        services.AddFlashSalePersistence();
        services.AddFlashSaleRedis();
        services.AddFlashSaleAuthentication();
        services.AddFlashSaleRateLimiting();
        services.AddOptions<SeedOptions>().BindConfiguration(SeedOptions.Section);
        services.AddOptions<LoadTestingOptions>().BindConfiguration(LoadTestingOptions.Section).ValidateDataAnnotations().ValidateOnStart();

        services.AddSingleton<PasswordHashing>();
        services.AddSingleton<UserStore>();
        services.AddSingleton<RefreshTokens>();
        services.AddSingleton<ProductStore>();
        services.AddSingleton<SaleStore>();
        services.AddSingleton<Seeder>();
        services.AddFlashSaleEngine();

        return builder;
    }

    /// <summary>Default cap on plain HTTP connections (Kestrel:Limits:MaxConcurrentConnections overrides it).</summary>
    public const long DefaultMaxConnections = 6_000;

    /// <summary>Default cap on upgraded (WebSocket) connections (Kestrel:Limits:MaxConcurrentUpgradedConnections).</summary>
    public const long DefaultMaxUpgradedConnections = 12_000;

    /// <summary>
    /// The process may hold 20,000 open files and .NET aborts near 19,900 open sockets, so Kestrel must refuse
    /// connections well before that instead of the whole host dying: HTTP and upgraded connections are counted
    /// apart by Kestrel, and together with the database and Redis pools they stay near 18,000.
    /// </summary>
    private static void ConfigureConnectionLimits(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerLimits limits, IConfiguration configuration)
    {
        limits.MaxConcurrentConnections = configuration.GetValue<long?>("Kestrel:Limits:MaxConcurrentConnections") ?? DefaultMaxConnections;
        limits.MaxConcurrentUpgradedConnections = configuration.GetValue<long?>("Kestrel:Limits:MaxConcurrentUpgradedConnections") ?? DefaultMaxUpgradedConnections;
    }

    public static WebApplication UseFlashSale(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseFlashSaleProblems();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseRateLimiter();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealth();
        app.MapAccounts();
        app.MapCatalog();
        app.MapSales();
        app.MapPurchases();
        app.MapOrders();
        app.MapLoadTesting();
        return app;
    }
}
