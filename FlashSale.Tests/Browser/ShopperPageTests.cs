using System.Globalization;
using System.Net.Http.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Browser;

[Trait("Category", TestCategory.Browser)]
[Collection(BrowserGroup.Name)]
public sealed class ShopperPageTests
{
    private const string Password = "correct horse battery";
    private readonly BrowserFixture _fixture;
    private readonly ShopPage _page;

    public ShopperPageTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        _page = new ShopPage(fixture.Driver, fixture.App.BaseAddress);
        _page.Reset();
    }

    private static string Unique(string what) => $"{what} {Guid.NewGuid().ToString("N")[..6]}";

    [Fact]
    public async Task A_shopper_signs_up_and_sees_an_active_sale_with_its_stock_and_a_running_countdown()
    {
        var product = Unique("Comet desk lamp");
        await _fixture.CreateSaleAsync(product, basePrice: 80m, salePrice: 39.5m, stock: 37);

        _page.SignUp("Ada", $"ada-{Guid.NewGuid():N}@example.com", Password);
        _page.Go("#/sales");

        var card = _page.SaleCard(product);
        Assert.Equal("37 of 37 left", _page.Text("sale-stock", card));
        Assert.Equal("active", _page.Find("sale-status", card)!.GetAttribute("data-status"));
        Assert.Contains("39.50", _page.Text("sale-price", card), StringComparison.Ordinal);
        var countdown = _page.Text("sale-countdown", card);
        Assert.Matches(@"^Ends in (\d\d:)?\d\d:\d\d$", countdown);
        _page.WaitForText("sale-countdown", t => t != countdown, "the countdown to tick", TimeSpan.FromSeconds(10), card);
        // The seeded demo sales are there too, the upcoming one counting down to its start.
        Assert.Matches(@"^Starts in \d\d:\d\d", _page.Text("sale-countdown", _page.SaleCard("Nimbus espresso machine")));
        _page.Screenshot("shopper-sales");

        _page.Find("sale-name", card)!.Click();
        var detail = _page.Visible("sale-detail");
        Assert.Equal(product, _page.Text("sale-name", detail));
        Assert.Equal("37 of 37 left", _page.Text("sale-stock", detail));
        Assert.Equal("polite", _page.Find("sale-stock", detail)!.GetAttribute("aria-live"));
        Assert.True(_page.Visible("buy-button").Enabled);
        _page.Screenshot("shopper-sale");
    }

    [Fact]
    public async Task A_shopper_signs_out_and_signs_in_again()
    {
        var email = $"grace-{Guid.NewGuid():N}@example.com";
        using (var anonymous = _fixture.App.Anonymous())
        {
            (await anonymous.PostAsJsonAsync("/api/v1/auth/register", new { email, password = Password, displayName = "Grace" })).EnsureSuccessStatusCode();
        }

        _page.SignIn(email, Password, "Grace");
        Assert.True(_page.Visible("nav-orders").Displayed);
        Assert.Null(_page.Find("nav-admin") is { Displayed: true } ? "admin link shown to a shopper" : null);

        _page.SignOut();
        Assert.False(_page.Find("current-user")!.Displayed);
        Assert.False(_page.Find("nav-orders")!.Displayed);
        Assert.Null(_fixture.Driver.ExecuteScript("return sessionStorage.getItem('flashsale.session');"));

        // A wrong password is refused with a clear message, then the right one works.
        _page.Go("#/signin");
        _page.Fill("auth-email", email);
        _page.Fill("auth-password", "not the password");
        _page.Click("signin-submit");
        _page.WaitForText("auth-message", t => t.Contains("wrong", StringComparison.Ordinal), "the refusal message");

        _page.SignIn(email, Password, "Grace");
        Assert.True(_page.Visible("nav-orders").Displayed);
    }

    [Fact]
    public void An_expired_access_token_is_refreshed_once_with_the_rotating_refresh_token()
    {
        _page.SignUp("Kim", $"kim-{Guid.NewGuid():N}@example.com", Password);
        var before = (string?)_fixture.Driver.ExecuteScript("return JSON.parse(sessionStorage.getItem('flashsale.session')).refreshToken;");

        // Spoil the access token and reload: the page's first call (/auth/me) gets 401, refreshes, retries.
        _fixture.Driver.ExecuteScript(
            "const s = JSON.parse(sessionStorage.getItem('flashsale.session')); s.accessToken = 'spoiled'; sessionStorage.setItem('flashsale.session', JSON.stringify(s));");
        _fixture.Driver.Navigate().Refresh();

        ShopPage.Until(() => _fixture.Driver.ExecuteScript("return JSON.parse(sessionStorage.getItem('flashsale.session') || 'null')?.refreshToken;") is string after && after != before,
            "the refresh token to rotate");
        Assert.StartsWith("Kim", _page.Text("current-user"), StringComparison.Ordinal);
        Assert.NotEqual("spoiled", _fixture.Driver.ExecuteScript("return JSON.parse(sessionStorage.getItem('flashsale.session')).accessToken;"));
    }

    [Fact]
    public void Sign_up_shows_each_field_error_next_to_its_input()
    {
        _page.Go("#/signup");
        _page.Fill("auth-name", "Bob");
        _page.Fill("auth-email", "not-an-email");
        _page.Fill("auth-password", "short");
        _page.Click("signup-submit");

        var form = _page.Visible("signup-form");
        ShopPage.Until(() => form.FindElements(OpenQA.Selenium.By.CssSelector("[data-error-for='email']")).FirstOrDefault(e => e.Displayed), "the email error");
        Assert.True(form.FindElement(OpenQA.Selenium.By.CssSelector("[data-error-for='password']")).Displayed);
        Assert.Equal("true", _page.Find("auth-email")!.GetAttribute("aria-invalid"));
        Assert.False(_page.Find("current-user")!.Displayed);
    }

    [Fact]
    public async Task The_sale_view_follows_a_price_change_without_a_reload()
    {
        // Works over the WebSocket's price frame, or by polling while the socket is down.
        var product = Unique("Halo smart speaker");
        var sale = await _fixture.CreateSaleAsync(product, basePrice: 120m, salePrice: 99m, stock: 10);
        _page.Go($"#/sale/{sale.Id}");
        _page.WaitForText("sale-price", t => t.Contains("99.00", StringComparison.Ordinal), "the first price");

        using (var admin = await _fixture.App.AdminAsync())
        {
            (await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{sale.Id}", new { salePrice = 45.5m })).EnsureSuccessStatusCode();
        }

        _page.WaitForText("sale-price", t => t.Contains("45.50", StringComparison.Ordinal), "the new price", TimeSpan.FromSeconds(6));
    }

    [Fact]
    public async Task The_stock_shown_changes_live_when_someone_buys()
    {
        var product = Unique("Orbit sneakers");
        var sale = await _fixture.CreateSaleAsync(product, basePrice: 150m, salePrice: 70m, stock: 10);
        _page.SignUp("Lin", $"lin-{Guid.NewGuid():N}@example.com", Password);
        _page.Go($"#/sale/{sale.Id}");
        _page.WaitForText("sale-stock", t => t == "10 of 10 left", "the initial stock");
        _page.WaitForText("live-state", t => t == "live", "the live socket", TimeSpan.FromSeconds(5));

        // Records every state the live indicator takes from here on: while it stays "live" the page does not poll (it
        // re-reads only every 30 s), so a drop seen with no other state came over the socket, however slow the machine.
        _fixture.Driver.ExecuteScript("""
            const dot = document.querySelector("[data-testid='live-state']");
            window.liveStates = [];
            new MutationObserver(() => window.liveStates.push(dot.dataset.state)).observe(dot, { attributes: true, childList: true });
            """);
        using var buyer = await _fixture.App.ShopperAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(new { flashSaleId = sale.Id, quantity = 2 }) };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        (await buyer.SendAsync(request)).EnsureSuccessStatusCode();

        _page.WaitForText("sale-stock", t => t == "8 of 10 left", "the stock to drop live", TimeSpan.FromSeconds(10));
        var states = (System.Collections.ObjectModel.ReadOnlyCollection<object>?)_fixture.Driver.ExecuteScript("return window.liveStates;");
        Assert.NotNull(states);
        Assert.All(states, state => Assert.Equal("live", state));
        Assert.Equal("live", _page.Find("live-state")!.GetAttribute("data-state"));
    }

    [Fact]
    public async Task A_shopper_buys_from_the_page_and_pays_in_my_orders()
    {
        var product = Unique("Pulse watch");
        var sale = await _fixture.CreateSaleAsync(product, basePrice: 200m, salePrice: 120m, stock: 5);
        _page.SignUp("Max", $"max-{Guid.NewGuid():N}@example.com", Password);
        _page.Go($"#/sale/{sale.Id}");
        _page.Click("buy-button");
        _page.Visible("buy-success");
        _page.WaitForText("sale-stock", t => t == "4 of 5 left", "the stock to include the purchase", TimeSpan.FromSeconds(10));

        _page.Go("#/orders");
        var row = _page.Visible("order-row");
        Assert.Equal("reserved", row.GetAttribute("data-status"));
        Assert.Equal("Reserved", _page.Text("order-status", row), ignoreCase: true); // the badge is styled upper-case
        Assert.Matches(@"^Pay within \d\d:\d\d", _page.Text("order-expires", row));
        _page.Fill("card-number", "4242 4242 4242 0002", row);
        _page.Click("pay-button", row);
        _page.WaitForText("order-message", t => t.Contains("declined", StringComparison.Ordinal), "the decline", within: row);
        _page.Fill("card-number", "4242424242424242", row);
        _page.Click("pay-button", row);
        _page.WaitForText("order-status", t => t.Equals("Paid", StringComparison.OrdinalIgnoreCase), "the order to be paid", within: row);
    }

    [Fact]
    public async Task An_admin_creates_a_product_and_a_sale_from_the_page_and_shoppers_see_it()
    {
        var product = Unique("Aero backpack");
        _page.SignIn(FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword, "");
        _page.Click("nav-admin");

        _page.Fill("product-name", product);
        _page.Fill("product-description", "Water-resistant, 22 l.");
        _page.Fill("product-price", "120");
        _page.Click("product-submit");
        _page.WaitForText("product-message", t => t.Contains(product, StringComparison.Ordinal), "the product to be created");
        ShopPage.Until(() => _page.Find("sale-product")!.GetAttribute("value") is { Length: > 0 } v ? v : null, "the new product to be selected");

        _page.Fill("sale-price-input", "59.99");
        _page.Fill("sale-stock-input", "25");
        _page.Click("sale-submit");
        _page.WaitForText("sale-message", t => t.Contains("created", StringComparison.Ordinal), "the sale to be created");

        var row = ShopPage.Until(() => _fixture.Driver.FindElements(ShopPage.TestId("admin-sale"))
            .FirstOrDefault(r => _page.Find("admin-sale-name", r)?.Text == product), "the sale in the admin list");
        Assert.Equal("25 / 25", _page.Text("admin-sale-stock", row));
        Assert.Equal("active", _page.Find("sale-status", row)!.GetAttribute("data-status"));
        _page.Screenshot("admin");

        // The admin edits the price from the row.
        _page.Click("admin-edit", row);
        _page.Fill("edit-price", "49.99", row);
        _page.Click("edit-save", row);
        _page.WaitForText("admin-sale-price", t => t.StartsWith("$49.99", StringComparison.Ordinal), "the edited price", within: row);

        _page.SignOut();
        _page.Go("#/sales");
        var card = _page.SaleCard(product);
        Assert.Equal("25 of 25 left", _page.Text("sale-stock", card));
        Assert.Contains(49.99m.ToString("0.00", CultureInfo.InvariantCulture), _page.Text("sale-price", card), StringComparison.Ordinal);
    }
}
