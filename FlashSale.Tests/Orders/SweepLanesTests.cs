using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Orders;

[Trait("Category", TestCategory.Integration)]
public sealed class SweepLanesTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Several_lanes_expire_every_due_order_once_and_return_its_units_once()
    {
        const int Orders = 60;
        var saleId = await app.CreateSaleAsync(totalStock: Orders, perUserLimit: 1);
        var shoppers = await app.BulkShoppersAsync(Orders);
        var clients = shoppers.Select(s => app.WithToken(s.AccessToken)).ToArray();
        await Parallel.ForEachAsync(clients, async (client, _) =>
            Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(saleId, 1, "lanes")).StatusCode));
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where flash_sale_id = @saleId", new { saleId });
        }

        // Batches of 7 in 3 lanes: the lanes race for the same due orders batch after batch.
        var sweeper = new OrderExpirySweeper(
            app.Services.GetRequiredService<OrderLifecycle>(), app.Services.GetRequiredService<UnitReturns>(),
            Options.Create(new OrderSweepOptions { SweepBatch = 7, SweepLanes = 3 }), TimeProvider.System,
            app.Services.GetRequiredService<ILogger<OrderExpirySweeper>>(), app.Services.GetRequiredService<SweeperBacklog>());
        Assert.Equal(Orders, await sweeper.SweepOnceAsync(CancellationToken.None));
        Assert.Equal(0, await sweeper.SweepOnceAsync(CancellationToken.None));

        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            var ledger = (await connection.QueryAsync<(string Status, int Expired, int Returned)>(
                """
                select o.status,
                       (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'expired'),
                       (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'returned')
                from orders o where o.flash_sale_id = @saleId
                """, new { saleId })).ToList();
            Assert.Equal(Orders, ledger.Count);
            Assert.All(ledger, row => Assert.Equal(("expired", 1, 1), row));
        }
        using var admin = await app.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        Assert.Equal(Orders, audit.GetProperty("remainingStock").GetInt32());
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
