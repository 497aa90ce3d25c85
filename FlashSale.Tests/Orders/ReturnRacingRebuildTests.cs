using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Orders;
using FlashSale.Host.Sales;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Tests.Orders;

/// <summary>
/// Issue 9 defect 4: a unit return that finds no sale state while a rebuild is reading PostgreSQL. The rebuild read the
/// order while it was still reserved and installs its units as held after the return found nothing to give back; the
/// return must not be recorded as done while its units are lost.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ReturnRacingRebuildTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task A_cancel_whose_return_races_a_rebuild_from_before_it_still_gives_the_units_back()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var shopper = await app.ShopperAsync();
        var bought = await shopper.BuyAsync(saleId, 3, "racing-return");
        Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        var orderId = (await bought.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var sale = (await app.Services.GetRequiredService<SaleDefinitions>().FindAsync(saleId, CancellationToken.None))!;

        // Redis loses the sale; another host starts rebuilding it and has read PostgreSQL (order reserved) when it stalls.
        var redis = app.Services.GetRequiredService<IConnectionMultiplexer>();
        var keys = RedisSaleKeys.For(saleId);
        await redis.GetDatabase().KeyDeleteAsync([keys.Meta, keys.Stock, keys.Users, keys.Idempotency, keys.Returned]);
        var stalled = new StalledOrders(new PostgresSaleStateReader(app.Database.DataSource));
        var otherHost = new RedisStockAuthority(redis, stalled, app.Services.GetRequiredService<IOptions<FlashSaleRedisOptions>>().Value);
        var rebuild = otherHost.EnsureInitializedAsync(sale, CancellationToken.None).AsTask();
        await stalled.Read.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The shopper cancels meanwhile: PostgreSQL says cancelled, the units go back (to a Redis with no state of the sale).
        (await shopper.PostAsync($"/api/v1/orders/{orderId}/cancel", null)).EnsureSuccessStatusCode();
        stalled.Go.SetResult();
        await rebuild;
        await app.Services.GetRequiredService<UnitReturns>().FinishPendingAsync(CancellationToken.None);

        Assert.Equal(10, await app.Services.GetRequiredService<IStockAuthority>().GetRemainingStockAsync(saleId, CancellationToken.None));
        using var admin = await app.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        Assert.True(audit.GetProperty("consistent").GetBoolean(), audit.ToString());
    }

    [Fact]
    public async Task An_in_process_return_before_the_first_load_is_not_lost_to_a_load_that_read_the_order_as_held()
    {
        var sale = new SaleDefinition(Guid.NewGuid(), 1_000, 10, 5, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1), 600, false);
        var order = new DurableOrder(Guid.NewGuid(), Guid.NewGuid(), 3, 1_000, "k", 0, DurableOrderStatus.Reserved);
        var durable = new ScriptedOrders(sale, [order]);
        var authority = new InProcessStockAuthority(durable);

        // The first load reads the order as reserved and stalls; the order ends and its return comes in meanwhile.
        var load = authority.EnsureInitializedAsync(sale, CancellationToken.None).AsTask();
        await durable.FirstRead.Task.WaitAsync(TimeSpan.FromSeconds(10));
        durable.Orders = [order with { Status = DurableOrderStatus.Expired }];
        await authority.ReturnUnitsAsync(sale.SaleId, order.OrderId, order.UserId, 3, CancellationToken.None);
        durable.Go.SetResult();
        await load;

        Assert.Equal(10, await authority.GetRemainingStockAsync(sale.SaleId, CancellationToken.None));
    }

    /// <summary>PostgreSQL's rebuild read (epoch moved, orders read), then held until the test lets the rebuild go on.</summary>
    private sealed class StalledOrders(IDurableOrderSource inner) : IDurableOrderSource
    {
        public TaskCompletionSource Read { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Go { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<DurableSaleSnapshot> BeginRebuildAsync(Guid saleId, CancellationToken cancellationToken)
        {
            var snapshot = await inner.BeginRebuildAsync(saleId, cancellationToken);
            Read.TrySetResult();
            await Go.Task;
            return snapshot;
        }

        public Task<SaleDefinition?> ReadSaleAsync(Guid saleId, CancellationToken cancellationToken) => inner.ReadSaleAsync(saleId, cancellationToken);
    }

    /// <summary>A durable store whose first rebuild read stalls until the test lets it go; later ones answer at once (each a new epoch).</summary>
    private sealed class ScriptedOrders(SaleDefinition sale, IReadOnlyList<DurableOrder> orders) : IDurableOrderSource
    {
        private int _reads;

        public IReadOnlyList<DurableOrder> Orders { get; set; } = orders;

        public TaskCompletionSource FirstRead { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Go { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task<DurableSaleSnapshot> BeginRebuildAsync(Guid saleId, CancellationToken cancellationToken)
        {
            var snapshot = new DurableSaleSnapshot(Interlocked.Increment(ref _reads), Orders);
            if (snapshot.Epoch == 1)
            {
                FirstRead.TrySetResult();
                await Go.Task;
            }
            return snapshot;
        }

        public Task<SaleDefinition?> ReadSaleAsync(Guid saleId, CancellationToken cancellationToken) => Task.FromResult<SaleDefinition?>(sale);
    }
}
