using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Events;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.Hosting;

/// <summary>A host whose purchase-path mode is set explicitly, on its own database or on another host's.</summary>
public sealed class ModeHost : FlashSaleApp
{
    public ModeHost(string mode, TestDatabase? shared = null, string? redis = null) : base(shared)
    {
        Settings["PurchasePath:Mode"] = mode;
        Settings["ConnectionStrings:Redis"] = redis ?? (mode == "SingleHost" ? "" : TestEnvironment.Redis);
    }
}

/// <summary>
/// The purchase path's mode is chosen once, explicitly, and the two modes never sell from one database at the same
/// time: a single host holds an exclusive advisory lock, Redis hosts a shared one.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PurchasePathModeTests
{
    /// <summary>Stops the hosts in order (hosts on another's database first); an owner drops its database.</summary>
    private static async Task StopAsync(params FlashSaleApp[] hosts)
    {
        foreach (var host in hosts)
        {
            await ((IAsyncLifetime)host).DisposeAsync();
        }
    }

    [Fact]
    public async Task A_single_host_decides_stock_itself_and_registers_nothing_of_redis()
    {
        var host = new ModeHost("SingleHost");
        await host.InitializeAsync();

        Assert.IsType<InProcessStockAuthority>(host.Services.GetRequiredService<IStockAuthority>());
        Assert.IsType<LocalEventChannel>(host.Services.GetRequiredService<IEventChannel>());
        Assert.Null(host.Services.GetService<IConnectionMultiplexer>());
        Assert.Null(host.Services.GetService<RedisWaitingRoom>());
        Assert.Null(host.Services.GetService<OrderStreamReconciler>());
        await StopAsync(host);
    }

    [Fact]
    public async Task A_redis_host_decides_stock_in_redis()
    {
        var host = new ModeHost("Redis");
        await host.InitializeAsync();

        Assert.IsType<RedisStockAuthority>(host.Services.GetRequiredService<IStockAuthority>());
        Assert.NotNull(host.Services.GetService<OrderStreamReconciler>());
        await StopAsync(host);
    }

    [Theory]
    [InlineData(null, "")]            // no Redis and no mode: once a silent single host, now a refusal
    [InlineData("Redis", "")]
    [InlineData("SingleHost", "configured")]
    public async Task A_mode_that_does_not_fit_the_redis_setting_refuses_to_start(string? mode, string redis)
    {
        var database = new TestDatabase();
        await database.InitializeAsync();
        var host = new ModeHost(mode ?? "Redis", database, redis == "configured" ? TestEnvironment.Redis : "");
        if (mode is null)
        {
            host.Settings.Remove("PurchasePath:Mode");
        }

        // An options validation failure or the Redis registration's own refusal, whichever the host meets first.
        var error = await Assert.ThrowsAnyAsync<Exception>(() => host.InitializeAsync());
        Assert.Contains("PurchasePath:Mode", error.Message, StringComparison.Ordinal);
        await StopAsync(host);
        await database.DisposeAsync();
    }

    [Fact]
    public async Task No_host_of_either_mode_starts_beside_a_single_host_on_its_database()
    {
        var single = new ModeHost("SingleHost");
        await single.InitializeAsync();

        var redisHost = new ModeHost("Redis", single.Database);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => redisHost.InitializeAsync());
        Assert.Contains("SingleHost", refused.Message, StringComparison.Ordinal);

        var secondSingle = new ModeHost("SingleHost", single.Database);
        await Assert.ThrowsAsync<InvalidOperationException>(() => secondSingle.InitializeAsync());
        await StopAsync(redisHost, secondSingle, single);
    }

    [Fact]
    public async Task Redis_hosts_share_a_database_and_a_single_host_refuses_to_start_beside_them()
    {
        var first = new ModeHost("Redis");
        await first.InitializeAsync();
        var second = new ModeHost("Redis", first.Database);
        await second.InitializeAsync();

        var single = new ModeHost("SingleHost", first.Database);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => single.InitializeAsync());
        Assert.Contains("Another FlashSale host", refused.Message, StringComparison.Ordinal);
        await StopAsync(single, second, first);
    }

    [Fact]
    public async Task A_single_host_may_start_once_the_redis_hosts_are_gone()
    {
        var database = new TestDatabase();
        await database.InitializeAsync();
        var redisHost = new ModeHost("Redis", database);
        await redisHost.InitializeAsync();
        await StopAsync(redisHost);

        var single = new ModeHost("SingleHost", database);
        await single.InitializeAsync();
        Assert.IsType<InProcessStockAuthority>(single.Services.GetRequiredService<IStockAuthority>());
        await StopAsync(single);
        await database.DisposeAsync();
    }
}
