using FlashSale.Host.Infrastructure.Redis;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Host.Health;

public static class HealthEndpoints
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", Check).WithTags("Health");
        // Liveness with no dependency: the cheapest endpoint, and the load tool's HTTP ceiling baseline.
        routes.MapGet("/health/live", () => TypedResults.Text("ok")).WithTags("Health");
        return routes;
    }

    public sealed record HealthResponse(string Status, DateTime Timestamp, double Uptime, string Database, string Redis);

    public static async Task<IResult> Check(NpgsqlDataSource db, RedisMode redisMode, IServiceProvider services, TimeProvider clock, StartTime started, CancellationToken cancellationToken)
    {
        var database = await ProbeDatabaseAsync(db, cancellationToken);
        var redis = await ProbeRedisAsync(redisMode.Enabled ? services.GetRequiredService<IConnectionMultiplexer>() : null);
        var healthy = database == "connected" && redis is "connected" or "not_configured";
        var now = clock.GetUtcNow();
        var body = new HealthResponse(healthy ? "healthy" : "degraded", now.UtcDateTime, Math.Round((now - started.At).TotalSeconds, 1), database, redis);
        return TypedResults.Json(body, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    private static async Task<string> ProbeDatabaseAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ProbeTimeout);
            await using var command = db.CreateCommand("select 1");
            await command.ExecuteScalarAsync(timeout.Token);
            return "connected";
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return "disconnected";
        }
    }

    private static async Task<string> ProbeRedisAsync(IConnectionMultiplexer? redis)
    {
        if (redis is null)
        {
            return "not_configured";
        }
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(ProbeTimeout);
            return "connected";
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            return "disconnected";
        }
    }
}

/// <summary>When this host started, for the uptime in /health.</summary>
public sealed record StartTime(DateTimeOffset At);
