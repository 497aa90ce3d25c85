using Dapper;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Orders;
using FlashSale.Host.Sales;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace FlashSale.Tests.Telemetry;

/// <summary>The figures only a periodic check knows, against the real PostgreSQL and Redis.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class BackgroundFiguresTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task The_sweeper_backlog_counts_overdue_reservations_and_unreturned_units_a_minute_late()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var shopper = await app.ShopperAsync();
        foreach (var key in (string[])["a", "b", "c"])
        {
            (await shopper.BuyAsync(saleId, 1, key)).EnsureSuccessStatusCode();
        }
        var backlog = app.Services.GetRequiredService<SweeperBacklog>();
        var now = DateTimeOffset.UtcNow;
        Assert.Equal((0, 0), await backlog.CountAsync(now, CancellationToken.None));

        await using var connection = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync();
        var ids = (await connection.QueryAsync<Guid>("select id from orders where flash_sale_id = @saleId order by id", new { saleId })).ToList();
        // One reservation long overdue, one just past its deadline (the sweeper's next pass is still to come), one
        // expired two minutes ago with its units still out.
        await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 hour' where id = @id", new { id = ids[0] });
        await connection.ExecuteAsync("update orders set expires_at = now() - interval '1 second' where id = @id", new { id = ids[1] });
        await connection.ExecuteAsync("update orders set status = 'expired', updated_at = now() - interval '2 minutes' where id = @id", new { id = ids[2] });

        Assert.Equal((1, 1), await backlog.CountAsync(DateTimeOffset.UtcNow, CancellationToken.None));
    }

    [Fact]
    public async Task The_audit_watch_flags_a_sale_whose_settled_books_do_not_balance_and_only_that_sale()
    {
        using var recorder = new MeterRecorder(HostMetrics.MeterName);
        var balanced = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        var broken = await app.CreateSaleAsync(totalStock: 10, perUserLimit: 5);
        using var shopper = await app.ShopperAsync();
        (await shopper.BuyAsync(balanced, 1, "x")).EnsureSuccessStatusCode();
        (await shopper.BuyAsync(broken, 1, "y")).EnsureSuccessStatusCode();
        await using (var connection = await app.Services.GetRequiredService<NpgsqlDataSource>().OpenConnectionAsync())
        {
            // A unit that vanished: PostgreSQL now holds two reserved units while the authority sold one.
            await connection.ExecuteAsync("update orders set quantity = 2 where flash_sale_id = @broken", new { broken });
        }
        var watch = new AuditWatch(app.Services.GetRequiredService<SaleStore>(), app.Services.GetRequiredService<SaleAudit>(),
            TimeProvider.System, NullLogger<AuditWatch>.Instance);

        var inconsistent = await watch.AuditOnceAsync(CancellationToken.None);

        Assert.Contains(broken, inconsistent);
        Assert.DoesNotContain(balanced, inconsistent);
        var verdicts = recorder.Of("flashsale.audit.inconsistent");
        Assert.Contains(verdicts, m => m.Tag("sale") == broken.ToString() && m.Value == 1);
        Assert.Contains(verdicts, m => m.Tag("sale") == balanced.ToString() && m.Value == 0);
    }
}
