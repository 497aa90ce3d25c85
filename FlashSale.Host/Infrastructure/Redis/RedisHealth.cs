using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Redis;

/// <summary>What /health says about Redis: <c>connected</c> or <c>disconnected</c>, or <c>not_configured</c> on a single host.</summary>
public sealed class RedisHealth(IConnectionMultiplexer? redis)
{
    public async Task<string> ProbeAsync(TimeSpan timeout)
    {
        if (redis is null)
        {
            return "not_configured";
        }
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(timeout);
            return "connected";
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return "disconnected";
        }
    }
}
