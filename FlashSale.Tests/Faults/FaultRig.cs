using FlashSale.Tests.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace FlashSale.Tests.Faults;

/// <summary>
/// Two in-process hosts of one deployment on a PostgreSQL and a Redis of the test class's own, each reached through
/// a <see cref="FaultProxy"/>: the test may stop, restart, flush or slow either dependency without touching the
/// shared servers other tests use. The test itself reads PostgreSQL and Redis directly, around the proxies.
/// </summary>
public sealed class FaultRig : IAsyncLifetime
{
    public PrivatePostgres Postgres { get; private set; } = null!;

    public PrivateRedis Redis { get; private set; } = null!;

    /// <summary>Between the hosts and <see cref="Postgres"/>.</summary>
    public FaultProxy PostgresProxy { get; private set; } = null!;

    /// <summary>Between the hosts and <see cref="Redis"/>.</summary>
    public FaultProxy RedisProxy { get; private set; } = null!;

    public TestDatabase Database { get; private set; } = null!;

    public FlashSaleApp First { get; private set; } = null!;

    public FlashSaleApp Second { get; private set; } = null!;

    public IReadOnlyList<FlashSaleApp> Hosts => [First, Second];

    /// <summary>The test's own connection to <see cref="Redis"/> (not through the proxy).</summary>
    public ConnectionMultiplexer RedisDirect { get; private set; } = null!;

    /// <summary>A new sale of <paramref name="stock"/> units, new shoppers, and a storm of them on it through both hosts (not started yet).</summary>
    public async Task<PurchaseStorm> NewStormAsync(int stock, int perUserLimit, int shoppers)
    {
        var saleId = await First.CreateSaleAsync(stock, perUserLimit);
        return new PurchaseStorm(saleId, await First.BulkShoppersAsync(shoppers), Hosts);
    }

    public async Task InitializeAsync()
    {
        var postgres = PrivatePostgres.StartAsync();
        var redis = PrivateRedis.StartAsync();
        Postgres = await postgres;
        Redis = await redis;
        PostgresProxy = new FaultProxy(Postgres.Port);
        RedisProxy = new FaultProxy(Redis.Port);
        Database = new TestDatabase(Postgres.AdminConnectionString);
        await Database.InitializeAsync();
        RedisDirect = await Redis.ConnectAsync();
        var throughProxy = new NpgsqlConnectionStringBuilder(Database.ConnectionString) { Port = PostgresProxy.Port, MaxPoolSize = 20 }.ConnectionString;
        First = new FaultHost(Database, throughProxy, $"127.0.0.1:{RedisProxy.Port}");
        Second = new FaultHost(Database, throughProxy, $"127.0.0.1:{RedisProxy.Port}");
        await Task.WhenAll(First.InitializeAsync(), Second.InitializeAsync());
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(((IAsyncLifetime)First).DisposeAsync(), ((IAsyncLifetime)Second).DisposeAsync());
        await RedisDirect.DisposeAsync();
        await Database.DataSource.DisposeAsync();
        await PostgresProxy.DisposeAsync();
        await RedisProxy.DisposeAsync();
        // The servers go with their data: no database to drop.
        await Postgres.DisposeAsync();
        await Redis.DisposeAsync();
    }

    /// <summary>One host of the rig: its PostgreSQL and Redis are the proxies'.</summary>
    private sealed class FaultHost : FlashSaleApp
    {
        public FaultHost(TestDatabase database, string postgres, string redis) : base(database)
        {
            Settings["ConnectionStrings:Postgres"] = postgres;
            Settings["ConnectionStrings:Redis"] = redis;
            // Orders a failed commit left in a Redis stream reach PostgreSQL, and sale changes Redis missed reach Redis,
            // within a few seconds of its return.
            Settings["Redis:ReconcileInterval"] = "00:00:01";
            // The faults are the point: their expected errors would bury the test's own output.
            Settings["Logging:LogLevel:Default"] = "Warning";
            Settings["Logging:LogLevel:FlashSale.Engine"] = "Critical";
        }
    }
}

/// <summary>Fault tests stop, slow and flush their dependencies and time the answers: they run alone, one class at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class FaultTests
{
    public const string Name = "Faults: private PostgreSQL and Redis behind a fault proxy";
}
