using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Orders;
using FlashSale.Host.Sales;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace FlashSale.Tests.Orders;

/// <summary>
/// The real host after an ended sale's Redis state was removed past its retention: a retried purchase is told the
/// sale ended, expiry and cancellation of its still-reserved orders finish in PostgreSQL without errors and without
/// bringing a key back, and the audit balances from PostgreSQL alone.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class EndedSaleRemovalApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private async Task<Dictionary<string, int>> LedgerAsync(Guid orderId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Movement, int Count)>(
            "select movement, count(*)::int from inventory_ledger where order_id = @orderId group by movement", new { orderId }))
            .ToDictionary(r => r.Movement, r => r.Count);
    }

    private async Task<List<string>> ExistingKeysAsync(Guid saleId)
    {
        var db = app.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var existing = new List<string>();
        foreach (var key in RedisSaleKeys.For(saleId).All)
        {
            if (await db.KeyExistsAsync(key))
            {
                existing.Add(key.ToString());
            }
        }
        return existing;
    }

    private static async Task<Guid> OrderIdAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>
    /// Moves the sale's window two days into the past (past the default one-day retention) and tells the host, as an
    /// edit would; then removes its Redis state with the host's own reconciler settings, on a private sales set so
    /// the pass does not walk the sales of other test hosts sharing this Redis.
    /// </summary>
    private async Task EndLongAgoAndRemoveAsync(Guid saleId)
    {
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "update flash_sales set starts_at = now() - interval '3 days', ends_at = now() - interval '2 days', version = version + 1 where id = @saleId", new { saleId });
        }
        var sale = await app.Services.GetRequiredService<SaleStore>().FindAsync(saleId, CancellationToken.None);
        await app.Services.GetRequiredService<SaleChanges>().UpdatedAsync(sale!, CancellationToken.None);

        var redis = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var options = app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<FlashSaleRedisOptions>>().Value with { SalesSetKey = $"flashsale:test:{Guid.NewGuid():N}:sales" };
        await redis.GetDatabase().SetAddAsync(options.SalesSetKey, saleId.ToString("D"));
        var reconciler = new OrderStreamReconciler(redis, app.Services.GetRequiredService<IOrderJournal>(), options, TimeProvider.System);
        // The host's own background pass may remove it first; either way the state is gone afterwards.
        await reconciler.ReconcileOnceAsync(CancellationToken.None);
        Assert.Empty(await ExistingKeysAsync(saleId));
        Assert.False(await redis.GetDatabase().SetContainsAsync(options.SalesSetKey, saleId.ToString("D")));
    }

    [Fact]
    public async Task After_removal_a_retry_is_told_the_sale_ended_and_expiry_and_cancellation_return_once_without_redis()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var paying = await app.ShopperAsync();
        using var expiring = await app.ShopperAsync();
        using var cancelling = await app.ShopperAsync();
        var paid = await OrderIdAsync(await paying.BuyAsync(saleId, 2, "paid-key"));
        Assert.Equal(HttpStatusCode.OK, (await paying.PostAsJsonAsync($"/api/v1/orders/{paid}/pay", new { cardNumber = "4242424242424242" })).StatusCode);
        var expired = await OrderIdAsync(await expiring.BuyAsync(saleId, 3, "expiring-key"));
        var cancelled = await OrderIdAsync(await cancelling.BuyAsync(saleId, 1, "cancelling-key"));

        await EndLongAgoAndRemoveAsync(saleId);

        // The idempotent retry of an order accepted long ago: a clear "ended", not a 500 and not a rebuilt sale.
        var retry = await paying.BuyAsync(saleId, 2, "paid-key");
        await ProblemAssert.IsProblemAsync(retry, HttpStatusCode.Conflict, "sale-not-active");
        var fresh = await expiring.BuyAsync(saleId, 1, "new-key");
        await ProblemAssert.IsProblemAsync(fresh, HttpStatusCode.Conflict, "sale-not-active");

        // The reserved orders end after the removal: PostgreSQL records each return once, Redis gets nothing back.
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @expired", new { expired });
        }
        var sweeper = app.Services.GetRequiredService<OrderExpirySweeper>();
        Assert.Equal(1, await sweeper.SweepOnceAsync(CancellationToken.None));
        var cancel = await cancelling.PostAsync($"/api/v1/orders/{cancelled}/cancel", null);
        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None)); // nothing left half-returned

        Assert.Equal(1, (await LedgerAsync(expired))["returned"]);
        Assert.Equal(1, (await LedgerAsync(cancelled))["returned"]);
        Assert.False((await LedgerAsync(paid)).ContainsKey("returned"));
        Assert.Empty(await ExistingKeysAsync(saleId));
        using var admin = await app.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        Assert.Equal((8, 2, 0, 0), (audit.GetProperty("remainingStock").GetInt32(), audit.GetProperty("paidUnits").GetInt32(),
            audit.GetProperty("reservedUnits").GetInt32(), audit.GetProperty("pendingReturns").GetInt32()));
        Assert.True(audit.GetProperty("consistent").GetBoolean());
    }

    [Fact]
    public async Task Joining_the_line_of_a_removed_sale_is_told_the_sale_ended_and_brings_no_key_back()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1, waitingRoom: true);
        using var shopper = await app.ShopperAsync();
        Assert.Equal(HttpStatusCode.OK, (await shopper.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null)).StatusCode);

        await EndLongAgoAndRemoveAsync(saleId);

        await ProblemAssert.IsProblemAsync(await shopper.PostAsync($"/api/v1/flash-sales/{saleId}/queue", null), HttpStatusCode.Conflict, "sale-not-active");
        await ProblemAssert.IsProblemAsync(await shopper.GetAsync($"/api/v1/flash-sales/{saleId}/queue/me"), HttpStatusCode.Conflict, "sale-not-active");
        Assert.Empty(await ExistingKeysAsync(saleId));
    }
}
