using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Orders;
using FlashSale.Host.Orders.Payments;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Orders;

/// <summary>Payments batched into multi-row statements (PayDesk): each order still paid once, by its owner only.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PayDeskTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private const string GoodCard = "4242424242424242";

    private async Task<(Guid OrderId, Guid UserId, HttpClient Client)> BuyAsync(Guid saleId)
    {
        var shopper = await app.RegisterShopperAsync();
        var client = app.WithToken(shopper.AccessToken);
        var response = await client.BuyAsync(saleId, 1, Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), shopper.User.Id, client);
    }

    [Fact]
    public async Task Two_hundred_concurrent_payments_each_pay_their_order_once_with_one_payment_and_one_ledger_row()
    {
        const int Orders = 200;
        var saleId = await app.CreateSaleAsync(totalStock: Orders, perUserLimit: 1, salePrice: 7m);
        var bought = new List<(Guid OrderId, Guid UserId, HttpClient Client)>();
        for (var i = 0; i < Orders; i++)
        {
            bought.Add(await BuyAsync(saleId));
        }

        // Every order paid twice at the same moment (a double click): the batches see repeats of one order.
        var responses = await Task.WhenAll(bought.SelectMany(b => new[] { b, b }).Select(b =>
            b.Client.PostAsJsonAsync($"/api/v1/orders/{b.OrderId}/pay", new { cardNumber = GoodCard })));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var ids = bought.Select(b => b.OrderId).ToArray();
        Assert.Equal(Orders, await connection.ExecuteScalarAsync<int>("select count(*) from orders where id = any(@ids) and status = 'paid'", new { ids }));
        Assert.Equal(Orders, await connection.ExecuteScalarAsync<int>(
            "select count(*) from payments where order_id = any(@ids) and outcome = 'approved' and amount = 7.00", new { ids }));
        Assert.Equal(Orders, await connection.ExecuteScalarAsync<int>(
            "select count(*) from inventory_ledger where order_id = any(@ids) and movement = 'paid'", new { ids }));
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from orders where id = any(@ids) and pay_started_at is not null", new { ids }));
        foreach (var b in bought)
        {
            b.Client.Dispose();
        }
    }

    [Fact]
    public async Task A_batch_mixing_owners_strangers_and_expired_orders_marks_only_the_owners_live_orders()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 1);
        var mine = await BuyAsync(saleId);
        var expired = await BuyAsync(saleId);
        var other = await BuyAsync(saleId);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @id", new { id = expired.OrderId });
        }
        var desk = app.Services.GetRequiredService<PayDesk>();

        var answers = await Task.WhenAll(
            desk.MarkAsync(mine.OrderId, mine.UserId, CancellationToken.None),
            desk.MarkAsync(other.OrderId, mine.UserId, CancellationToken.None),
            desk.MarkAsync(expired.OrderId, expired.UserId, CancellationToken.None),
            desk.MarkAsync(Guid.NewGuid(), mine.UserId, CancellationToken.None),
            desk.MarkAsync(mine.OrderId, mine.UserId, CancellationToken.None));

        Assert.Equal(mine.OrderId, answers[0]?.Id);
        Assert.Null(answers[1]);
        Assert.Null(answers[2]);
        Assert.Null(answers[3]);
        Assert.Equal(mine.OrderId, answers[4]?.Id);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            var marked = (await connection.QueryAsync<Guid>("select id from orders where id = any(@ids) and pay_started_at is not null",
                new { ids = new[] { mine.OrderId, other.OrderId, expired.OrderId } })).ToList();
            Assert.Equal([mine.OrderId], marked);
        }

        // Recording: the first charge of an order pays it, a repeat in the same batch finds nothing left to record.
        var charge = new GatewayCharge(mine.OrderId, 10m, "4242");
        var recorded = await Task.WhenAll(desk.CompleteAsync(charge, CancellationToken.None), desk.CompleteAsync(charge, CancellationToken.None));
        Assert.Single(recorded, r => r is not null);
        Assert.Equal("paid", recorded.Single(r => r is not null)!.Status);
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from payments where order_id = @id", new { id = mine.OrderId }));
        }
        foreach (var client in new[] { mine.Client, expired.Client, other.Client })
        {
            client.Dispose();
        }
    }
}
