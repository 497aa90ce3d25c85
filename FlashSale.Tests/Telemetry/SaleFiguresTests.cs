using System.Net;
using System.Net.Http.Json;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;

namespace FlashSale.Tests.Telemetry;

/// <summary>The admin page's per-sale figures come from the host's meters, admins only.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SaleFiguresTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task An_admin_reads_a_sales_purchases_by_outcome_as_its_meters_counted_them()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var admin = await app.AdminAsync();
        var before = await admin.GetFromJsonAsync<SaleFiguresResponse>($"/api/v1/flash-sales/{saleId}/figures");
        using var shopper = await app.ShopperAsync();
        (await shopper.BuyAsync(saleId, 1, "a")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, (await shopper.BuyAsync(saleId, 1, "b")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await shopper.BuyAsync(saleId, 1, "c")).StatusCode);

        var after = await admin.GetFromJsonAsync<SaleFiguresResponse>($"/api/v1/flash-sales/{saleId}/figures");

        Assert.Empty(before!.Purchases);
        Assert.Equal(saleId, after!.SaleId);
        Assert.Equal(1, after.Purchases["accepted"]);
        Assert.Equal(2, after.Purchases["limit_reached"]);
        Assert.True(after.At >= before.At);
    }

    [Fact]
    public async Task Figures_are_for_admins_and_for_sales_that_exist()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var shopper = await app.ShopperAsync();
        using var admin = await app.AdminAsync();

        Assert.Equal(HttpStatusCode.Forbidden, (await shopper.GetAsync($"/api/v1/flash-sales/{saleId}/figures")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Anonymous().GetAsync($"/api/v1/flash-sales/{saleId}/figures")).StatusCode);
        var missing = await admin.GetAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/figures");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/problem+json", missing.Content.Headers.ContentType?.MediaType);
    }
}
