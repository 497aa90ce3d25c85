using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Engine;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace FlashSale.Tests.Redis;

/// <summary>The sale's window is decided on Redis' clock, not on the clock of the host that sends the batch.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class OneClockTests(RedisConnection redis, TestDatabase database) : IClassFixture<RedisConnection>, IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_host_whose_clock_runs_five_seconds_ahead_cannot_sell_before_the_sale_starts_and_stamps_orders_with_redis_time()
    {
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(2);
        var sale = redis.NewSale(stock: 10, startsAt: startsAt, endsAt: startsAt.AddHours(1));
        var ahead = new FakeTimeProvider(DateTimeOffset.UtcNow.AddSeconds(5));
        var authority = new RedisStockAuthority(redis.Multiplexer, new PostgresSaleStateReader(database.DataSource), redis.Options, ahead);
        var journal = new FakeOrderJournal();
        await using var engine = new SaleEngine(sale, authority, journal, EngineTestKit.Options(), ahead);
        var user = Guid.NewGuid();

        var early = await engine.SubmitAsync(EngineTestKit.Request(sale, user, "early"));
        var soldEarly = journal.Rows.Count;
        await Task.Delay(startsAt - DateTimeOffset.UtcNow + TimeSpan.FromMilliseconds(100));
        var open = await engine.SubmitAsync(EngineTestKit.Request(sale, user, "open"));

        Assert.Equal(PurchaseStatus.SaleNotActive, early.Status);
        Assert.Equal(0, soldEarly);
        Assert.Equal(PurchaseStatus.Accepted, open.Status);
        // Created on Redis' clock (this machine's), not 5 s ahead; the deadline follows from it.
        Assert.InRange(open.CreatedAtUnixMs, startsAt.ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000);
        var row = Assert.Single(journal.Rows.Values);
        Assert.Equal(open.CreatedAtUnixMs + (sale.PaymentWindowSeconds * 1000L), row.ExpiresAtUnixMs);
    }
}
