using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Browser;

/// <summary>Issue 16: the admin page lists the notifications that could not be delivered, and Retry queues one again.</summary>
[Trait("Category", TestCategory.Browser)]
[Collection(BrowserGroup.Name)]
public sealed class DeadLetterPageTests
{
    private readonly BrowserFixture _fixture;
    private readonly ShopPage _page;

    public DeadLetterPageTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        _page = new ShopPage(fixture.Driver, fixture.App.BaseAddress);
        _page.Reset();
    }

    [Fact]
    public async Task An_admin_sees_an_undelivered_notification_with_its_error_and_retries_it()
    {
        var shopper = await _fixture.App.RegisterShopperAsync($"bounced-{Guid.NewGuid():N}@example.com");
        long id;
        await using (var connection = await _fixture.App.Database.DataSource.OpenConnectionAsync())
        {
            id = await connection.ExecuteScalarAsync<long>(
                """
                insert into notification_outbox (kind, user_id, subject_id, state, attempts, last_error)
                values ('paid', @user, @subject, 'dead', 8, 'SmtpCommandException: 550 mailbox unavailable') returning id
                """, new { user = shopper.User.Id, subject = Guid.NewGuid() });
        }
        _page.SignIn(FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword, "");
        _page.Click("nav-admin");

        var row = ShopPage.Until(() => _fixture.Driver.FindElements(ShopPage.TestId("dead-letter"))
            .FirstOrDefault(r => r.GetAttribute("data-id") == id.ToString(System.Globalization.CultureInfo.InvariantCulture)), "the dead letter in the admin page");
        Assert.Equal("Paid", _page.Text("dead-letter-kind", row));
        Assert.Equal(shopper.User.Email, _page.Text("dead-letter-email", row));
        Assert.Contains("550 mailbox unavailable", _page.Text("dead-letter-error", row), StringComparison.Ordinal);
        _page.Screenshot("admin-dead-letters");

        _page.Click("dead-letter-retry", row);

        _page.WaitForText("dead-letters-message", t => t.StartsWith("Queued again: Paid to bounced-", StringComparison.Ordinal), "the retry to be confirmed");
        ShopPage.Until(() => _fixture.Driver.FindElements(ShopPage.TestId("dead-letter"))
            .All(r => r.GetAttribute("data-id") != id.ToString(System.Globalization.CultureInfo.InvariantCulture)) ? "gone" : null, "the retried letter to leave the list");
        await using var check = await _fixture.App.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(("pending", 0), await check.QuerySingleAsync<(string, int)>("select state, attempts from notification_outbox where id = @id", new { id }));
    }
}
