using FlashSale.Host.Infrastructure.Redis;
using FlashSale.Host.Infrastructure.Telemetry;
using Npgsql;

namespace FlashSale.Host.Health;

/// <summary>
/// Probes PostgreSQL and Redis every <see cref="Period"/> the way <c>/health</c> does and publishes
/// <c>flashsale.dependency.up</c> (1 or 0, by <c>dependency</c>) for the "Redis or PostgreSQL down" alerts. Runs only
/// while metrics are exported; a single host without Redis reports PostgreSQL only.
/// </summary>
public sealed class DependencyProbe(NpgsqlDataSource db, RedisHealth redis, TimeProvider clock) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromSeconds(5);

    private static readonly KeyValuePair<string, object?>[] Postgres = [new("dependency", "postgres")];
    private static readonly KeyValuePair<string, object?>[] Redis = [new("dependency", "redis")];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, clock);
        do
        {
            await ProbeOnceAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public async Task ProbeOnceAsync(CancellationToken cancellationToken)
    {
        var database = await HealthEndpoints.ProbeDatabaseAsync(db, cancellationToken);
        HostMetrics.DependencyUp.Record(database == "connected" ? 1 : 0, Postgres);
        var state = await redis.ProbeAsync(HealthEndpoints.ProbeTimeout);
        if (state != "not_configured")
        {
            HostMetrics.DependencyUp.Record(state == "connected" ? 1 : 0, Redis);
        }
    }
}
