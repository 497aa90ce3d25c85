using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Redis;

/// <summary>Whether this host runs with Redis (multi-node) or alone (the engine is the stock authority).</summary>
public sealed record RedisMode(bool Enabled);

public static class RedisSetup
{
    public static bool IsRedisConfigured(this IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis"));

    /// <summary>
    /// One shared multiplexer when <c>ConnectionStrings:Redis</c> is set. It does not abort when Redis is down
    /// at start: the host starts, /health says degraded, and purchases answer 503 until Redis is back.
    /// </summary>
    public static IServiceCollection AddFlashSaleRedis(this IServiceCollection services)
    {
        services.AddSingleton(sp => new RedisMode(sp.GetRequiredService<IConfiguration>().IsRedisConfigured()));
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var configuration = sp.GetRequiredService<IConfiguration>();
            if (!configuration.IsRedisConfigured())
            {
                throw new InvalidOperationException("ConnectionStrings:Redis is not set; this host runs without Redis.");
            }
            var options = ConfigurationOptions.Parse(configuration.GetConnectionString("Redis")!);
            options.AbortOnConnectFail = false;
            options.ClientName ??= "flashsale-host";
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }
}
