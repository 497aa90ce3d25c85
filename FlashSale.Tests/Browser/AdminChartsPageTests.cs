using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;

namespace FlashSale.Tests.Browser;

/// <summary>The admin page's live charts follow a sale's purchases and stock, read from the host's meters.</summary>
[Trait("Category", TestCategory.Browser)]
[Collection(BrowserGroup.Name)]
public sealed class AdminChartsPageTests
{
    private readonly BrowserFixture _fixture;
    private readonly ShopPage _page;

    public AdminChartsPageTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        _page = new ShopPage(fixture.Driver, fixture.App.BaseAddress);
        _page.Reset();
    }

    [Fact]
    public async Task An_admin_sees_purchases_per_second_and_the_remaining_stock_move_after_shoppers_buy()
    {
        var product = $"Chart kettle {Guid.NewGuid().ToString("N")[..6]}";
        var sale = await _fixture.CreateSaleAsync(product, basePrice: 50m, salePrice: 20m, stock: 30, perUserLimit: 5);
        _page.SignIn(FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword, "");
        _page.Click("nav-admin");
        var row = ShopPage.Until(() => _fixture.Driver.FindElements(ShopPage.TestId("admin-sale"))
            .FirstOrDefault(r => _page.Find("admin-sale-name", r)?.Text == product), "the sale in the admin list");
        // The first reads of the figures (every 2 s) have happened: the charts show values, not placeholders.
        _page.WaitForText("chart-purchases-value", t => t.StartsWith("0.0 ok", StringComparison.Ordinal), "a first purchase rate", within: row);

        using var shopper = await _fixture.App.ShopperAsync();
        for (var i = 0; i < 3; i++)
        {
            (await shopper.BuyAsync(sale.Id, 1, $"chart-{i}")).EnsureSuccessStatusCode();
        }

        _page.WaitForText("chart-remaining-value", t => t == "27", "the remaining stock in its chart", TimeSpan.FromSeconds(15), row);
        _page.WaitForText("chart-purchases-value", t => t.Contains(" ok", StringComparison.Ordinal) && !t.StartsWith("0.0 ok", StringComparison.Ordinal), "accepted purchases per second above zero",
            TimeSpan.FromSeconds(15), row);
        _page.Screenshot("admin-charts");
    }
}
