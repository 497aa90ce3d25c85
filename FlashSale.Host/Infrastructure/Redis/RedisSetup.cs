using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Redis;

public static class RedisSetup
{
    /// <summary>True when <c>ConnectionStrings:Redis</c> is set: multi-node mode, Redis decides stock.</summary>
    public static bool IsRedisConfigured(this IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis"));

    /// <summary>
    /// One shared multiplexer. It does not abort when Redis is down at start: the host starts, /health says
    /// degraded, and purchases answer 503 until Redis is back.
    /// </summary>
    public static IServiceCollection AddFlashSaleRedis(this IServiceCollection services, IConfiguration configuration)
    {
        if (!configuration.IsRedisConfigured())
        {
            return services;
        }
        var options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
        options.AbortOnConnectFail = false;
        options.ClientName ??= "flashsale-host";
        services.AddSingleton<IConnectionMultiplexer>(_ => ConnectionMultiplexer.Connect(options));
        return services;
    }
}
