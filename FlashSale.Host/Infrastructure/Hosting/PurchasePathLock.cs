using Npgsql;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// Keeps hosts of the two modes from selling from one database at the same time. Every host holds one PostgreSQL
/// advisory lock on <see cref="Key"/> for its whole life, on a connection of its own: a Redis host a shared one (any
/// number of Redis hosts share the database), a single-host one an exclusive one (it decides stock in its own memory,
/// so nobody else may sell). A host that cannot take its lock refuses to start: a Redis host while a single host
/// runs, a single host while any other host runs. Advisory locks are per database, so deployments on other databases
/// of the same server are unaffected. The lock dies with its session (a host killed, the connection cut); the host
/// then takes it again, or logs that it cannot.
/// </summary>
public sealed partial class PurchasePathLock(NpgsqlDataSource db, PurchasePathMode mode, TimeProvider clock, ILogger<PurchasePathLock> logger)
    : BackgroundService
{
    /// <summary>The advisory lock key every FlashSale host uses ("FlashSal" in ASCII).</summary>
    public const long Key = 0x466C_6173_6853_616C;

    private NpgsqlConnection? _connection;

    public PurchasePathMode Mode => mode;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!await TryTakeAsync(cancellationToken))
        {
            throw new InvalidOperationException(mode == PurchasePathMode.SingleHost
                ? "Another FlashSale host sells from this database: a single host (PurchasePath:Mode SingleHost) must be alone on it. Stop the other hosts, or run this one with Redis."
                : "A single FlashSale host (PurchasePath:Mode SingleHost) sells from this database: Redis hosts cannot share it. Stop that host first.");
        }
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Checks the lock's session every few seconds and takes the lock again when the session was lost.</summary>
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await using var probe = new NpgsqlCommand("select 1", _connection);
                await probe.ExecuteScalarAsync(stoppingToken);
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
            {
                try
                {
                    if (!await TryTakeAsync(stoppingToken))
                    {
                        LogLockTaken(logger, mode);
                    }
                }
                catch (Exception again) when (again is NpgsqlException or TimeoutException)
                {
                    LogLockLost(logger, again);
                }
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Interlocked.Exchange(ref _connection, null) is { } connection)
        {
            // Closing the session releases the lock (the pool resets a connection it takes back).
            await connection.DisposeAsync();
        }
    }

    public override void Dispose()
    {
        Interlocked.Exchange(ref _connection, null)?.Dispose();
        base.Dispose();
    }

    private async Task<bool> TryTakeAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _connection, null) is { } old)
        {
            await old.DisposeAsync();
        }
        var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var take = new NpgsqlCommand(
            mode == PurchasePathMode.SingleHost ? "select pg_try_advisory_lock(@key)" : "select pg_try_advisory_lock_shared(@key)", connection);
        take.Parameters.AddWithValue("key", Key);
        if ((bool)(await take.ExecuteScalarAsync(cancellationToken))!)
        {
            _connection = connection;
            return true;
        }
        await connection.DisposeAsync();
        return false;
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "This {Mode} host lost its database lock and another host of the other mode holds it now")]
    private static partial void LogLockTaken(ILogger logger, PurchasePathMode mode);

    [LoggerMessage(Level = LogLevel.Error, Message = "This host lost its database lock and cannot take it again yet; retrying")]
    private static partial void LogLockLost(ILogger logger, Exception exception);
}
