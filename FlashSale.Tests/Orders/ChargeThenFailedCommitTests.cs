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

/// <summary>A host whose sweeper gives a payment attempt no grace past the order's deadline.</summary>
public sealed class NoPaymentGraceApp : FlashSaleApp
{
    public NoPaymentGraceApp() => Settings["Orders:PaymentGraceSeconds"] = "0";
}

/// <summary>
/// Issue 9, defect 10: the gateway took the money, then the commit that marks the order paid failed. The order must
/// not expire with the money taken: the next pay attempt or the expiry sweeper asks the gateway (the order id is the
/// charge's idempotency key) and completes it, and the shopper is never charged twice.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ChargeThenFailedCommitTests(NoPaymentGraceApp app) : IClassFixture<NoPaymentGraceApp>, IAsyncLifetime
{
    private const string GoodCard = "4242424242424242";

    private TestPaymentGateway Gateway => (TestPaymentGateway)app.Services.GetRequiredService<IPaymentGateway>();

    /// <summary>
    /// A trigger fails any update that marks a listed order paid: PostgreSQL failing right after the charge, with no
    /// hook in the product's code.
    /// </summary>
    public async Task InitializeAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("""
            create table if not exists test_fail_paid (id uuid primary key);
            create or replace function test_fail_paid() returns trigger language plpgsql as $$
            begin
              if new.status = 'paid' and exists (select 1 from test_fail_paid where id = new.id) then
                raise exception 'test: the commit after the charge fails';
              end if;
              return new;
            end $$;
            drop trigger if exists test_fail_paid on orders;
            create trigger test_fail_paid before update on orders for each row execute function test_fail_paid();
            """);
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(Guid OrderId, HttpClient Client)> BuyAsync(Guid saleId)
    {
        var client = await app.ShopperAsync();
        var response = await client.BuyAsync(saleId, 1, Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid(), client);
    }

    private async Task ExecuteAsync(string sql, object parameters)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await connection.ExecuteAsync(sql, parameters);
    }

    private async Task<(string Status, int Approved, int Paid, int Expired, int Returned)> StateAsync(Guid orderId)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.QuerySingleAsync<(string, int, int, int, int)>(
            """
            select o.status,
                   (select count(*)::int from payments p where p.order_id = o.id and p.outcome = 'approved'),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'paid'),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'expired'),
                   (select count(*)::int from inventory_ledger l where l.order_id = o.id and l.movement = 'returned')
            from orders o where o.id = @orderId
            """, new { orderId });
    }

    /// <summary>Pays while the commit fails: the charge is taken, the order stays reserved.</summary>
    private async Task ChargeButFailCommitAsync(HttpClient client, Guid orderId)
    {
        await ExecuteAsync("insert into test_fail_paid (id) values (@orderId)", new { orderId });
        var taken = Gateway.ChargesTaken;
        var failed = await client.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = GoodCard });
        Assert.False(failed.IsSuccessStatusCode, $"{failed.StatusCode}");
        Assert.Equal(taken + 1, Gateway.ChargesTaken);
        Assert.NotNull(await Gateway.FindChargeAsync(orderId, CancellationToken.None));
        Assert.Equal("reserved", (await StateAsync(orderId)).Status);
        await ExecuteAsync("delete from test_fail_paid where id = @orderId", new { orderId });
    }

    [Fact]
    public async Task The_sweeper_completes_a_charged_order_whose_commit_failed_instead_of_expiring_it()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 1, perUserLimit: 1, salePrice: 20m);
        var (orderId, client) = await BuyAsync(saleId);
        await ChargeButFailCommitAsync(client, orderId);
        var taken = Gateway.ChargesTaken;

        // Past its deadline (the fixture gives a payment in flight no grace): the sweeper's turn.
        await ExecuteAsync("update orders set expires_at = now() - interval '10 minutes' where id = @orderId", new { orderId });
        await app.Services.GetRequiredService<OrderExpirySweeper>().SweepOnceAsync(CancellationToken.None);

        Assert.Equal(("paid", 1, 1, 0, 0), await StateAsync(orderId));
        Assert.Equal(taken, Gateway.ChargesTaken);
        using var admin = await app.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        Assert.Equal((0, 1), (audit.GetProperty("remainingStock").GetInt32(), audit.GetProperty("paidUnits").GetInt32()));
        Assert.True(audit.GetProperty("consistent").GetBoolean());
        client.Dispose();
    }

    [Fact]
    public async Task The_next_pay_attempt_completes_a_charged_order_without_charging_again_even_after_its_deadline()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 2, perUserLimit: 1, salePrice: 20m);
        var (orderId, client) = await BuyAsync(saleId);
        await ChargeButFailCommitAsync(client, orderId);
        var taken = Gateway.ChargesTaken;
        await ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @orderId", new { orderId });

        var retried = await client.PostAsJsonAsync($"/api/v1/orders/{orderId}/pay", new { cardNumber = GoodCard });

        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Equal("paid", (await retried.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(("paid", 1, 1, 0, 0), await StateAsync(orderId));
        Assert.Equal(taken, Gateway.ChargesTaken);
        client.Dispose();
    }
}
