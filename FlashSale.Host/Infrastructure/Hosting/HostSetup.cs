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
        services.AddFlashSaleRealtime();

        return builder;
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
        app.UseFlashSaleRealtime();

        app.MapHealth();
        app.MapAccounts();
        app.MapCatalog();
        app.MapSales();
        app.MapPurchases();
        app.MapOrders();
        app.MapWaitingRoom();
        app.MapRealtime();
        app.MapLoadTesting();
        return app;
    }
}
