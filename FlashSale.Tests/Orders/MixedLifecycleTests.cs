using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Orders;

[Trait("Category", TestCategory.Integration)]
public sealed class MixedLifecycleTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Thousands_of_purchases_payments_cancellations_and_expiries_end_with_a_consistent_audit()
    {
        const int Stock = 1_000, Shoppers = 400, Limit = 4;
        var saleId = await app.CreateSaleAsync(Stock, Limit);
        var shoppers = await app.BulkShoppersAsync(Shoppers);
        var clients = shoppers.Select(s => app.WithToken(s.AccessToken)).ToArray();
        var sweeper = app.Services.GetRequiredService<OrderExpirySweeper>();
        var random = new Random(20261125);
        var attempts = 0;

        // Three rounds: a storm of purchases, then every order is paid, cancelled or left to expire; the units that
        // come back are sold again in the next round.
        for (var round = 0; round < 3; round++)
        {
            var orders = new ConcurrentBag<(int Shopper, Guid Order)>();
            await Parallel.ForEachAsync(Enumerable.Range(0, 1_200), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
            {
                var shopper = (i * 31 + round) % Shoppers;
                var response = await clients[shopper].BuyAsync(saleId, 1 + (i % 2), $"r{round}-{i}");
                Interlocked.Increment(ref attempts);
                if (response.StatusCode == HttpStatusCode.Created)
                {
                    orders.Add((shopper, (await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).GetProperty("id").GetGuid()));
                }
                else
                {
                    Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
                }
            });

            var plan = orders.Select(o => (o.Shopper, o.Order, Action: random.Next(3))).ToList();
            var expiring = plan.Where(p => p.Action == 2).Select(p => p.Order).ToArray();
            await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
            {
                await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = any(@expiring)", new { expiring });
            }
            var sweeping = sweeper.SweepOnceAsync(CancellationToken.None);
            await Parallel.ForEachAsync(plan.Where(p => p.Action != 2), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (p, _) =>
            {
                var response = p.Action == 0
                    ? await clients[p.Shopper].PostAsJsonAsync($"/api/v1/orders/{p.Order}/pay", new { cardNumber = "4242424242424242" }, CancellationToken.None)
                    : await clients[p.Shopper].PostAsync($"/api/v1/orders/{p.Order}/cancel", null, CancellationToken.None);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            });
            await sweeping;
            await sweeper.SweepOnceAsync(CancellationToken.None);
        }

        using var admin = await app.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        var (remaining, reserved, paid) = (audit.GetProperty("remainingStock").GetInt32(), audit.GetProperty("reservedUnits").GetInt32(), audit.GetProperty("paidUnits").GetInt32());
        Assert.True(audit.GetProperty("consistent").GetBoolean(), audit.ToString());
        Assert.Equal(Stock, remaining + reserved + paid);
        Assert.True(audit.GetProperty("expiredUnits").GetInt32() > 0 && audit.GetProperty("cancelledUnits").GetInt32() > 0 && paid > 0, audit.ToString());
        Assert.Equal(3_600, attempts);

        await using var check = await app.Database.DataSource.OpenConnectionAsync();
        // Per shopper, the units still held (reserved or paid) never exceed the limit.
        var held = await check.QueryAsync<int>(
            "select sum(quantity)::int from orders where flash_sale_id = @saleId and status in ('reserved', 'paid') group by user_id", new { saleId });
        Assert.All(held, units => Assert.InRange(units, 1, Limit));
        // Every ended order gave its units back exactly once.
        Assert.Equal(0, await check.ExecuteScalarAsync<int>(
            """
            select count(*) from orders o where o.flash_sale_id = @saleId and o.status in ('expired', 'cancelled')
              and (select count(*) from inventory_ledger l where l.order_id = o.id and l.movement = 'returned') <> 1
            """, new { saleId }));
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }
}
