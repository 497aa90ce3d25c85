using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Redis;

public static class RedisSetup
{
    /// <summary>
    /// One shared multiplexer on <c>ConnectionStrings:Redis</c> (the Redis purchase path only). It does not abort when
    /// Redis is down at start: the host starts, /health says degraded, and purchases answer 503 until Redis is back.
    /// </summary>
    public static IServiceCollection AddFlashSaleRedis(this IServiceCollection services)
    {
        services.AddSingleton<IConnectionMultiplexer>(sp =>
        {
            var configured = sp.GetRequiredService<IConfiguration>().GetConnectionString("Redis");
            if (string.IsNullOrWhiteSpace(configured))
            {
                throw new InvalidOperationException("ConnectionStrings:Redis is empty but PurchasePath:Mode is Redis (the default); set one or the other.");
            }
            var options = ConfigurationOptions.Parse(configured);
            options.AbortOnConnectFail = false;
            // After a primary is lost, the client re-reads the topology at growing intervals up to this bound (60 s by
            // default). A replica promoted after the first few checks would then wait up to a minute to be used, and
            // every sale on that shard answers 503 meanwhile; 5 s bounds that wait at the price of one cheap check
            // per node every 5 s. An explicit configCheckSeconds in the connection string wins.
            if (!configured.Contains("configCheckSeconds", StringComparison.OrdinalIgnoreCase))
            {
                options.ConfigCheckSeconds = 5;
            }
            options.ClientName ??= "flashsale-host";
            return ConnectionMultiplexer.Connect(options);
        });
        services.AddSingleton(sp => new RedisHealth(sp.GetRequiredService<IConnectionMultiplexer>()));
        return services;
    }
}
