using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Tests.Infrastructure;
using StackExchange.Redis;

namespace FlashSale.Tests.Redis;

/// <summary>
/// A connection to the shared test Redis plus a private sales set, and clean-up of every sale a test created.
/// Never flushes anything: each test uses fresh sale ids.
/// </summary>
public sealed class RedisConnection : IAsyncLifetime
{
    private readonly List<Guid> _sales = [];
    private readonly List<string> _salesSets = [];

    public ConnectionMultiplexer Multiplexer { get; private set; } = null!;

    public FlashSaleRedisOptions Options { get; } = new() { SalesSetKey = $"flashsale:test:{Guid.NewGuid():N}:sales", ReconcileMinEntryAge = TimeSpan.Zero };

    public IDatabase Database => Multiplexer.GetDatabase();

    public static Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis + ",allowAdmin=true");

    public async Task InitializeAsync() => Multiplexer = await ConnectAsync();

    public async Task DisposeAsync()
    {
        var db = Multiplexer.GetDatabase();
        List<Guid> sales;
        lock (_sales)
        {
            sales = [.. _sales];
        }
        foreach (var sale in sales)
        {
            await db.KeyDeleteAsync([.. RedisSaleKeys.For(sale).All]);
        }
        await db.KeyDeleteAsync(Options.SalesSetKey);
        foreach (var set in _salesSets)
        {
            await db.KeyDeleteAsync(set);
        }
        await Multiplexer.DisposeAsync();
    }

    public SaleDefinition NewSale(int stock = 100, int perUserLimit = 2, long priceCents = 1999, bool waitingRoom = false,
        DateTimeOffset? startsAt = null, DateTimeOffset? endsAt = null)
    {
        var sale = new SaleDefinition(Guid.CreateVersion7(), priceCents, stock, perUserLimit,
            startsAt ?? DateTimeOffset.UtcNow.AddHours(-1), endsAt ?? DateTimeOffset.UtcNow.AddHours(1), 600, waitingRoom);
        lock (_sales)
        {
            _sales.Add(sale.SaleId);
        }
        return sale;
    }

    /// <summary>Options with a sales set of their own, for a test that walks "every" registered sale.</summary>
    public FlashSaleRedisOptions PrivateOptions()
    {
        var options = Options with { SalesSetKey = $"flashsale:test:{Guid.NewGuid():N}:sales" };
        lock (_sales)
        {
            _salesSets.Add(options.SalesSetKey);
        }
        return options;
    }

    public RedisStockAuthority Authority(Npgsql.NpgsqlDataSource dataSource, IConnectionMultiplexer? redis = null, FlashSaleRedisOptions? options = null) =>
        new(redis ?? Multiplexer, new PostgresSaleStateReader(dataSource), options ?? Options);
}

internal static class Purchases
{
    public static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static PurchaseRequest Request(SaleDefinition sale, Guid user, int quantity = 1, string? key = null) =>
        new(sale.SaleId, user, quantity, key ?? Guid.NewGuid().ToString("N"), Guid.CreateVersion7());

    public static async Task<PurchaseDecision[]> DecideAsync(this IStockAuthority authority, SaleDefinition sale, long now, params PurchaseRequest[] requests)
    {
        var decisions = new PurchaseDecision[requests.Length];
        await authority.DecideAsync(sale, requests, decisions, now, CancellationToken.None);
        return decisions;
    }

    public static AcceptedOrder ToOrder(this PurchaseRequest request, PurchaseDecision decision, SaleDefinition sale) =>
        new(decision.OrderId, sale.SaleId, request.UserId, decision.Quantity, decision.UnitPriceCents, request.IdempotencyKey,
            decision.CreatedAtUnixMs, decision.CreatedAtUnixMs + (sale.PaymentWindowSeconds * 1000L));
}
