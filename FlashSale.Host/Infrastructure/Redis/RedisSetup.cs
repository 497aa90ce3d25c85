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
            var connectionString = configuration.GetConnectionString("Redis")!;
            var options = ConfigurationOptions.Parse(connectionString);
            options.AbortOnConnectFail = false;
            // After a primary is lost, the client re-reads the topology at growing intervals up to this bound (60 s by
            // default). A replica promoted after the first few checks would then wait up to a minute to be used, and
            // every sale on that shard answers 503 meanwhile; 5 s bounds that wait at the price of one cheap check
            // per node every 5 s. An explicit configCheckSeconds in the connection string wins.
            if (!connectionString.Contains("configCheckSeconds", StringComparison.OrdinalIgnoreCase))
            {
                options.ConfigCheckSeconds = 5;
            }
            options.ClientName ??= "flashsale-host";
            return ConnectionMultiplexer.Connect(options);
        });
        return services;
    }
}
