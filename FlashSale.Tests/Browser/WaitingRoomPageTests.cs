using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Browser;

[Trait("Category", TestCategory.Browser)]
[Collection(BrowserGroup.Name)]
public sealed class WaitingRoomPageTests
{
    private readonly BrowserFixture _fixture;
    private readonly ShopPage _page;

    public WaitingRoomPageTests(BrowserFixture fixture)
    {
        _fixture = fixture;
        _page = new ShopPage(fixture.Driver, fixture.App.BaseAddress);
        _page.Reset();
    }

    [Fact]
    public async Task A_shopper_in_line_watches_the_position_move_live_until_it_is_their_turn_to_buy()
    {
        // Three shoppers ahead; the sale opens in a moment and admits one shopper per second.
        var sale = await _fixture.App.CreateSaleAsync(stock: 50, rate: 1, startsAt: DateTimeOffset.UtcNow.AddSeconds(3));
        var ahead = await _fixture.App.BulkShoppersAsync(3);
        using (var client = _fixture.App.Anonymous())
        {
            foreach (var shopper in ahead)
            {
                await client.JoinOkAsync(sale, shopper.AccessToken);
            }
        }
        _page.SignUp("Wren", $"wren-{Guid.NewGuid():N}@example.com", "correct horse battery");
        _page.Go($"#/sale/{sale}");
        _page.WaitForText("live-state", t => t == "live", "the live socket", TimeSpan.FromSeconds(5));

        _page.Click("join-queue");

        _page.WaitForText("queue-ticket", t => t == "Your ticket: #4", "the ticket");
        _page.WaitForText("queue-position", t => t == "Position in line: 4", "the first position");
        Assert.Matches(@"^Estimated wait: \d+ s", _page.Text("queue-eta"));
        // Moves with the queue frames (one per admission), not with the 2 s polling fallback alone.
        _page.WaitForText("queue-position", t => t is "Position in line: 2" or "You are next in line", "the position to move", TimeSpan.FromSeconds(8));
        _page.WaitForText("queue-turn", t => t.StartsWith("It's your turn!", StringComparison.Ordinal), "the turn", TimeSpan.FromSeconds(8));
        Assert.True(_page.Visible("buy-button").Enabled);
        _page.Click("buy-button");
        _page.Visible("buy-success");
    }

    [Fact]
    public async Task A_shopper_joins_a_sale_with_a_12_bit_join_challenge_through_the_page_and_buys()
    {
        var sale = await _fixture.App.CreateSaleAsync(stock: 5);
        await _fixture.App.SetJoinChallengeAsync(sale, 12);
        _page.SignUp("Quill", $"quill-{Guid.NewGuid():N}@example.com", "correct horse battery");
        _page.Go($"#/sale/{sale}");
        _page.WaitForText("live-state", t => t == "live", "the live socket", TimeSpan.FromSeconds(5));

        // The page solves the proof of work in a Web Worker and sends it with the join; the host refuses a join
        // without one (JoinChallengeLineTests), so a ticket here means the page's hash and encoding are the host's.
        _page.Click("join-queue");

        _page.WaitForText("queue-turn", t => t.StartsWith("It's your turn!", StringComparison.Ordinal), "the turn", TimeSpan.FromSeconds(10));
        _page.Click("buy-button");
        _page.Visible("buy-success");
    }
}
