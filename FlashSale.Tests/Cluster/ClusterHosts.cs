using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.WaitingRoom;
using StackExchange.Redis;

namespace FlashSale.Tests.Cluster;

/// <summary>A fast-ticking host whose ConnectionStrings:Redis is a cluster's seed list.</summary>
public sealed class ClusterHostApp : FastLiveApp
{
    public ClusterHostApp(TestDatabase? shared, string seeds) : base(shared)
    {
        Settings["ConnectionStrings:Redis"] = seeds;
    }
}

/// <summary>
/// Three hosts of one deployment (one PostgreSQL database) on a private Redis Cluster of three primaries
/// (<paramref name="replicasEach"/> replicas each), plus a test's own multiplexer to look at the cluster.
/// </summary>
public abstract class ThreeHostsOnCluster(int replicasEach) : IAsyncLifetime
{
    public LocalRedisCluster Redis { get; } = new(primaries: 3, replicasEach);

    public IReadOnlyList<ClusterHostApp> Hosts { get; private set; } = [];

    public ConnectionMultiplexer Multiplexer { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Redis.StartAsync();
        var first = new ClusterHostApp(null, Redis.Seeds);
        await first.InitializeAsync();
        var second = new ClusterHostApp(first.Database, Redis.Seeds);
        await second.InitializeAsync();
        var third = new ClusterHostApp(first.Database, Redis.Seeds);
        await third.InitializeAsync();
        Hosts = [first, second, third];
        Multiplexer = await ConnectionMultiplexer.ConnectAsync(Redis.Seeds);
    }

    public async Task DisposeAsync()
    {
        if (Multiplexer is not null)
        {
            await Multiplexer.DisposeAsync();
        }
        foreach (var host in Hosts.Reverse())
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
        await Redis.DisposeAsync();
    }
}

/// <summary>Three primaries, no replicas: the storm, live-frame and waiting-room tests.</summary>
public sealed class ThreeHostsOnThreePrimaries() : ThreeHostsOnCluster(replicasEach: 0);

/// <summary>Three primaries with one replica each: the failover test, which kills a primary.</summary>
public sealed class ThreeHostsOnReplicatedCluster() : ThreeHostsOnCluster(replicasEach: 1);

/// <summary>The storm and live tests share one cluster and one set of hosts (they run one after the other).</summary>
[CollectionDefinition(Name)]
public sealed class ThreePrimariesGroup : ICollectionFixture<ThreeHostsOnThreePrimaries>
{
    public const string Name = "Three hosts on three Redis Cluster primaries";
}
