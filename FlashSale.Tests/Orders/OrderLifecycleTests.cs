using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Engine.Core;
using FlashSale.Host.Orders;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Orders;

[Trait("Category", TestCategory.Integration)]
public sealed class OrderLifecycleTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private const string GoodCard = "4242424242424242";

    private async Task<(Guid OrderId, HttpClient Client)> BuyAsync(Guid saleId, int quantity = 1)
    {
        var client = await app.ShopperAsync();
        var response = await client.BuyAsync(saleId, quantity, Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), client);
    }

    /// <summary>Moves orders' deadlines, standing in for the clock: the sweeper and pay read deadlines from the rows.</summary>
    private async Task SetDeadlineAsync(IEnumerable<Guid> orderIds, TimeSpan fromNow)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("update orders set expires_at = now() + @fromNow where id = any(@ids)",
            new { fromNow, ids = orderIds.ToArray() });
    }

    private Task<int> SweepAsync() => app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None);

    private async Task<JsonElement> AuditAsync(Guid saleId)
    {
        using var admin = await app.AdminAsync();
        return await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
    }

    private async Task<Dictionary<string, int>> LedgerAsync(Guid orderId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return (await connection.QueryAsync<(string Movement, int Count)>(
            "select movement, count(*)::int from inventory_ledger where order_id = @orderId group by movement", new { orderId }))
            .ToDictionary(r => r.Movement, r => r.Count);
    }

    private static Task<HttpResponseMessage> PayAsync(HttpClient client, Guid orderId, string card = GoodCard) =>
        client.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = card });

    [Fact]
    public async Task Paying_a_reserved_order_marks_it_paid_once_and_paying_again_returns_the_same_result()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2, salePrice: 20m);
        var (orderId, client) = await BuyAsync(saleId, 2);

        var first = await PayAsync(client, orderId);
        var second = await PayAsync(client, orderId);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(await first.Content.ReadAsStringAsync(), await second.Content.ReadAsStringAsync());
        Assert.Equal("paid", (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var payments = (await connection.QueryAsync<(string Outcome, decimal Amount, string Last4)>(
            "select outcome, amount, card_last4 from payments where order_id = @orderId", new { orderId })).ToList();
        Assert.Equal([("approved", 40.00m, "4242")], payments);
        Assert.Equal(1, (await LedgerAsync(orderId))["paid"]);
        var audit = await AuditAsync(saleId);
        Assert.Equal(2, audit.GetProperty("paidUnits").GetInt32());
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        client.Dispose();
    }

    [Theory]
    [InlineData("4000000000000002", "payment-declined")]
    [InlineData("4000000000009995", "insufficient-funds")]
    public async Task A_refused_card_is_402_records_the_attempt_and_leaves_the_order_reserved(string card, string slug)
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2);
        var (orderId, client) = await BuyAsync(saleId);

        await ProblemAssert.IsProblemAsync(await PayAsync(client, orderId, card), HttpStatusCode.PaymentRequired, slug);

        var order = await client.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}");
        Assert.Equal("reserved", order.GetProperty("status").GetString());
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(1, await connection.ExecuteScalarAsync<int>("select count(*) from payments where order_id = @orderId and outcome <> 'approved'", new { orderId }));
        Assert.Equal(HttpStatusCode.OK, (await PayAsync(client, orderId)).StatusCode); // another card still works
        client.Dispose();
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("4242-4242-4242")]
    [InlineData("12345")]
    public async Task An_invalid_card_number_is_a_validation_problem_and_changes_nothing(string? card)
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2);
        var (orderId, client) = await BuyAsync(saleId);

        await ProblemAssert.IsValidationProblemAsync(await client.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = card }), "cardNumber");

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from payments where order_id = @orderId", new { orderId }));
        client.Dispose();
    }

    [Fact]
    public async Task Paying_after_the_deadline_is_409_order_expired_and_charges_nothing()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 2);
        var (orderId, client) = await BuyAsync(saleId);
        await SetDeadlineAsync([orderId], TimeSpan.FromSeconds(-1));

        await ProblemAssert.IsProblemAsync(await PayAsync(client, orderId), HttpStatusCode.Conflict, "order-expired");
        await SweepAsync();
        await ProblemAssert.IsProblemAsync(await PayAsync(client, orderId), HttpStatusCode.Conflict, "order-expired");

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*) from payments where order_id = @orderId", new { orderId }));
        client.Dispose();
    }

    [Fact]
    public async Task Cancelling_returns_the_units_once_and_a_cancelled_order_cannot_be_paid()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 3);
        var (orderId, client) = await BuyAsync(saleId, 3);

        var cancel = await client.PostAsync($"/api/v1/orders/{orderId}/cancel", null);
        var again = await client.PostAsync($"/api/v1/orders/{orderId}/cancel", null);

        Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        Assert.Equal("cancelled", (await cancel.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await ProblemAssert.IsProblemAsync(await PayAsync(client, orderId), HttpStatusCode.Conflict, "order-cancelled");
        Assert.Equal(new Dictionary<string, int> { ["cancelled"] = 1, ["returned"] = 1 }, await LedgerAsync(orderId));
        var audit = await AuditAsync(saleId);
        Assert.Equal(3, audit.GetProperty("remainingStock").GetInt32());
        Assert.Equal(3, audit.GetProperty("cancelledUnits").GetInt32());
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        // The shopper's allowance came back too: the same shopper can buy the full limit again.
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(saleId, 3, "after-cancel")).StatusCode);
        client.Dispose();
    }

    [Fact]
    public async Task A_paid_order_cannot_be_cancelled()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 3);
        var (orderId, client) = await BuyAsync(saleId);
        await PayAsync(client, orderId);

        var cancel = await client.PostAsync($"/api/v1/orders/{orderId}/cancel", null);

        Assert.Equal(HttpStatusCode.Conflict, cancel.StatusCode);
        Assert.Equal("paid", (await client.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}")).GetProperty("status").GetString());
        client.Dispose();
    }

    [Fact]
    public async Task Someone_elses_order_is_404_to_read_pay_or_cancel_but_an_admin_can_read_it()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 3, perUserLimit: 3);
        var (orderId, owner) = await BuyAsync(saleId);
        using var stranger = await app.ShopperAsync();

        await ProblemAssert.IsProblemAsync(await stranger.GetAsync($"/api/v1/orders/{orderId}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await PayAsync(stranger, orderId), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await stranger.PostAsync($"/api/v1/orders/{orderId}/cancel", null), HttpStatusCode.NotFound, "not-found");
        Assert.Equal("reserved", (await owner.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}")).GetProperty("status").GetString());
        using var admin = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/v1/orders/{orderId}")).StatusCode);
        var list = await stranger.GetFromJsonAsync<JsonElement>("/api/v1/orders");
        Assert.Equal(0, list.GetProperty("total").GetInt64());
        owner.Dispose();
    }

    [Fact]
    public async Task My_orders_are_paged_newest_first_with_a_total()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var client = await app.ShopperAsync();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var response = await client.BuyAsync(saleId, 1, $"page-{i}");
            ids.Add((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid());
            await Task.Delay(5); // order times have millisecond resolution: keep "newest" unambiguous
        }

        var page1 = await client.GetFromJsonAsync<JsonElement>("/api/v1/orders?page=1&pageSize=2");
        var page2 = await client.GetFromJsonAsync<JsonElement>("/api/v1/orders?page=2&pageSize=2");

        Assert.Equal(3, page1.GetProperty("total").GetInt64());
        Assert.Equal([ids[2], ids[1]], page1.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
        Assert.Equal([ids[0]], page2.GetProperty("items").EnumerateArray().Select(o => o.GetProperty("id").GetGuid()));
        await ProblemAssert.IsValidationProblemAsync(await client.GetAsync("/api/v1/orders?page=0"), "page");
        await ProblemAssert.IsValidationProblemAsync(await client.GetAsync("/api/v1/orders?pageSize=1000"), "pageSize");
    }

    [Fact]
    public async Task A_reservation_expired_by_the_sweeper_is_bought_by_another_shopper()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 1, perUserLimit: 1);
        var (orderId, first) = await BuyAsync(saleId);
        using var second = await app.ShopperAsync();
        await ProblemAssert.IsProblemAsync(await second.BuyAsync(saleId, 1, "too-early"), HttpStatusCode.Conflict, "sold-out");

        await SetDeadlineAsync([orderId], TimeSpan.FromSeconds(-1));
        Assert.Equal(1, await SweepAsync());

        Assert.Equal(HttpStatusCode.Created, (await second.BuyAsync(saleId, 1, "after-expiry")).StatusCode);
        Assert.Equal("expired", (await first.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{orderId}")).GetProperty("status").GetString());
        var audit = await AuditAsync(saleId);
        Assert.Equal((0, 1, 1), (audit.GetProperty("remainingStock").GetInt32(), audit.GetProperty("reservedUnits").GetInt32(), audit.GetProperty("expiredUnits").GetInt32()));
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        first.Dispose();
    }

    [Fact]
    public async Task A_sweeper_stopped_between_the_database_and_redis_finishes_the_return_once_on_its_next_pass()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 2, perUserLimit: 2);
        var (orderId, client) = await BuyAsync(saleId, 2);
        await SetDeadlineAsync([orderId], TimeSpan.FromSeconds(-1));
        var returns = app.Services.GetRequiredService<UnitReturns>();

        returns.StopBeforeReturn = id => id == orderId; // the "crash": PostgreSQL says expired, Redis never hears of it
        await SweepAsync();
        var broken = await AuditAsync(saleId);
        Assert.Equal(0, broken.GetProperty("remainingStock").GetInt32());
        Assert.Equal(2, broken.GetProperty("pendingReturns").GetInt32());
        Assert.False(broken.GetProperty("consistent").GetBoolean());

        returns.StopBeforeReturn = null;
        Assert.Equal(1, await SweepAsync());
        Assert.Equal(0, await SweepAsync());
        Assert.False(await app.Services.GetRequiredService<IStockAuthority>().ReturnUnitsAsync(saleId, orderId, Guid.Empty, 2, CancellationToken.None));

        var healed = await AuditAsync(saleId);
        Assert.Equal(2, healed.GetProperty("remainingStock").GetInt32());
        Assert.True(healed.GetProperty("consistent").GetBoolean());
        Assert.Equal(1, (await LedgerAsync(orderId))["returned"]);
        client.Dispose();
    }

    [Fact]
    public async Task Two_hundred_orders_raced_by_payment_and_expiry_each_end_paid_or_expired_and_the_books_balance()
    {
        const int Orders = 200;
        var saleId = await app.CreateSaleAsync(totalStock: Orders, perUserLimit: 1);
        var shoppers = await app.BulkShoppersAsync(Orders);
        var clients = shoppers.Select(s => app.WithToken(s.AccessToken)).ToArray();
        var orderIds = new Guid[Orders];
        await Parallel.ForEachAsync(Enumerable.Range(0, Orders), async (i, _) =>
        {
            var response = await clients[i].BuyAsync(saleId, 1, "race");
            orderIds[i] = (await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).GetProperty("id").GetGuid();
        });
        await SetDeadlineAsync(orderIds, TimeSpan.FromMilliseconds(300));

        using var stop = new CancellationTokenSource();
        var sweeping = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await SweepAsync();
            }
        });
        var paying = Parallel.ForEachAsync(Enumerable.Range(0, Orders), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
        {
            await Task.Delay(Random.Shared.Next(0, 600), CancellationToken.None);
            var response = await PayAsync(clients[i], orderIds[i]);
            Assert.True(response.StatusCode is HttpStatusCode.OK or HttpStatusCode.Conflict, $"{response.StatusCode}");
        });
        await paying;
        await Task.Delay(400);
        await stop.CancelAsync();
        await sweeping;
        await SweepAsync();

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var states = (await connection.QueryAsync<(Guid Id, string Status, int Payments, int Paid, int Expired, int Returned)>(
            """
            select o.id, o.status,
                   (select count(*)::int from payments p where p.order_id = o.id),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'paid'),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'expired'),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'returned')
            from orders o where o.flash_sale_id = @saleId
            """, new { saleId })).ToList();
        Assert.Equal(Orders, states.Count);
        Assert.All(states, s => Assert.True(
            s is { Status: "paid", Payments: 1, Paid: 1, Expired: 0, Returned: 0 } or { Status: "expired", Payments: 0, Paid: 0, Expired: 1, Returned: 1 },
            $"{s}"));
        var paid = states.Count(s => s.Status == "paid");
        Assert.InRange(paid, 1, Orders - 1); // both sides won some races, or nothing raced
        var audit = await AuditAsync(saleId);
        Assert.Equal(Orders - paid, audit.GetProperty("remainingStock").GetInt32());
        Assert.Equal(paid, audit.GetProperty("paidUnits").GetInt32());
        Assert.Equal(0, audit.GetProperty("reservedUnits").GetInt32());
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        foreach (var client in clients)
        {
            client.Dispose();
        }
    }

    [Fact]
    public async Task Audit_is_admin_only_and_404_for_an_unknown_sale()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 1, perUserLimit: 1);
        using var shopper = await app.ShopperAsync();
        await ProblemAssert.IsProblemAsync(await shopper.GetAsync($"/api/v1/flash-sales/{saleId}/audit"), HttpStatusCode.Forbidden, "forbidden");
        using var admin = await app.AdminAsync();
        await ProblemAssert.IsProblemAsync(await admin.GetAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/audit"), HttpStatusCode.NotFound, "not-found");
    }
}
