using FlashSale.Host.Infrastructure.Redis;
using Npgsql;

namespace FlashSale.Host.Health;

public static class HealthEndpoints
{
    internal static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder routes)
    {
        routes.MapGet("/health", Check).WithTags("Health");
        // Liveness with no dependency: the cheapest endpoint, and the load tool's HTTP ceiling baseline.
        routes.MapGet("/health/live", () => TypedResults.Text("ok")).WithTags("Health");
        return routes;
    }

    public sealed record HealthResponse(string Status, DateTime Timestamp, double Uptime, string Database, string Redis);

    public static async Task<IResult> Check(NpgsqlDataSource db, RedisHealth redisHealth, TimeProvider clock, StartTime started, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(redisHealth);
        var database = await ProbeDatabaseAsync(db, cancellationToken);
        var redis = await redisHealth.ProbeAsync(ProbeTimeout);
        var healthy = database == "connected" && redis is "connected" or "not_configured";
        var now = clock.GetUtcNow();
        var body = new HealthResponse(healthy ? "healthy" : "degraded", now.UtcDateTime, Math.Round((now - started.At).TotalSeconds, 1), database, redis);
        return TypedResults.Json(body, statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
    }

    internal static async Task<string> ProbeDatabaseAsync(NpgsqlDataSource db, CancellationToken cancellationToken)
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
}

/// <summary>When this host started, for the uptime in /health.</summary>
public sealed record StartTime(DateTimeOffset At);
