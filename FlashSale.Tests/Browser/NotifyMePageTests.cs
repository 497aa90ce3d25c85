namespace FlashSale.Tests.Browser;

/// <summary>Issue 16: the "Notify me" button of an upcoming sale sets and cancels the shopper's reminder, and a reload keeps it.</summary>
[Trait("Category", TestCategory.Browser)]
[Collection(BrowserGroup.Name)]
public sealed class NotifyMePageTests
{
    private readonly ShopPage _page;

    public NotifyMePageTests(BrowserFixture fixture)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        _page = new ShopPage(fixture.Driver, fixture.App.BaseAddress);
        _page.Reset();
    }

    [Fact]
    public void A_shopper_asks_to_be_told_when_an_upcoming_sale_opens_and_changes_their_mind()
    {
        _page.SignUp("Noor", $"noor-{Guid.NewGuid():N}@example.com", "correct horse battery");
        _page.Go("#/sales");
        // The seeded espresso machine opens in half an hour.
        _page.Find("sale-name", _page.SaleCard("Nimbus espresso machine"))!.Click();
        _page.WaitForText("notify-me", t => t == "Notify me", "the Notify me button");

        _page.Click("notify-me");
        _page.WaitForText("notify-me", t => t == "Cancel the reminder", "the reminder to be set");
        Assert.StartsWith("We'll email you at", _page.Text("notify-note"), StringComparison.Ordinal);
        Assert.Equal("true", _page.Visible("notify-me").GetAttribute("aria-pressed"));
        _page.Screenshot("shopper-notify-me");

        _page.Go("#/sales");
        _page.Find("sale-name", _page.SaleCard("Nimbus espresso machine"))!.Click();
        _page.WaitForText("notify-me", t => t == "Cancel the reminder", "the reminder to be known after leaving the page");

        _page.Click("notify-me");
        _page.WaitForText("notify-me", t => t == "Notify me", "the reminder to be cancelled");
    }
}
