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

    /// <summary>
    /// A sale whose line is paused before anyone joins (nothing can be admitted yet), three shoppers joined, then a new
    /// shopper signs up on the page, opens the sale with its live socket and joins: ticket 4, held until the test resumes.
    /// </summary>
    private async Task<Guid> JoinBehindThreeOnAHeldLineAsync(string name, int stock, int rate)
    {
        var sale = await _fixture.App.CreateSaleAsync(stock: stock, rate: rate);
        await _fixture.App.SetLinePausedAsync(sale, paused: true);
        var ahead = await _fixture.App.BulkShoppersAsync(3);
        using (var client = _fixture.App.Anonymous())
        {
            foreach (var shopper in ahead)
            {
                await client.JoinOkAsync(sale, shopper.AccessToken);
            }
        }
        _page.SignUp(name, $"{name.ToLowerInvariant()}-{Guid.NewGuid():N}@example.com", "correct horse battery");
        _page.Go($"#/sale/{sale}");
        _page.WaitForText("live-state", t => t == "live", "the live socket", TimeSpan.FromSeconds(5));
        _page.Click("join-queue");
        _page.WaitForText("queue-ticket", t => t == "Your ticket: #4", "the ticket");
        return sale;
    }

    [Fact]
    public async Task A_shopper_in_line_watches_the_position_move_live_until_it_is_their_turn_to_buy()
    {
        // Three shoppers ahead; the sale admits one shopper per second. Its line is held until the page has shown the
        // first position, so the test does not depend on how long the sign-up below takes on a busy machine.
        var sale = await JoinBehindThreeOnAHeldLineAsync("Wren", stock: 50, rate: 1);
        _page.WaitForText("queue-position", t => t == "Position in line: 4", "the first position");
        Assert.Matches(@"^Estimated wait: \d+ s", _page.Text("queue-eta"));
        await _fixture.App.SetLinePausedAsync(sale, paused: false);
        // Moves with the queue frames (one per admission), not with the 2 s polling fallback alone.
        _page.WaitForText("queue-position", t => t is "Position in line: 2" or "You are next in line", "the position to move", TimeSpan.FromSeconds(15));
        _page.WaitForText("queue-turn", t => t.StartsWith("It's your turn!", StringComparison.Ordinal), "the turn", TimeSpan.FromSeconds(15));
        Assert.True(_page.Visible("buy-button").Enabled);
        _page.Click("buy-button");
        _page.Visible("buy-success");
    }

    [Fact]
    public async Task A_shopper_in_line_is_told_live_when_the_shop_pauses_admission_and_when_it_resumes()
    {
        // One unit: at most two live admissions, so shoppers 1 and 2 are let in and the page's ticket 4 stays in line
        // whatever the timing; the line starts paused, so the page first learns it from its join's answer.
        var sale = await JoinBehindThreeOnAHeldLineAsync("Sage", stock: 1, rate: 50);
        const string Note = "Admission is paused by the shop; you keep your place.";
        _page.WaitForText("queue-paused", t => t == Note, "the pause note");

        // From here on only queue frames tell the page (it does not poll while its socket is open).
        await _fixture.App.SetLinePausedAsync(sale, paused: false);
        ShopPage.Until(() => _page.Find("queue-paused") is { Displayed: false }, "the pause note to go on resume");
        _page.WaitForText("queue-position", t => t == "Position in line: 2", "the line to move after resume");
        await _fixture.App.SetLinePausedAsync(sale, paused: true);
        _page.WaitForText("queue-paused", t => t == Note, "the pause note on a live pause");
        Assert.Equal("Your ticket: #4", _page.Text("queue-ticket"));
        await _fixture.App.SetLinePausedAsync(sale, paused: false);
        ShopPage.Until(() => _page.Find("queue-paused") is { Displayed: false }, "the pause note to go on the second resume");
    }

    [Fact]
    public async Task A_shopper_joins_the_pre_queue_sees_the_draw_and_its_verify_link_is_admitted_and_buys()
    {
        // The pre-queue is open (an hour before a start a few seconds away); two others entered before us.
        var startsAt = DateTimeOffset.UtcNow.AddSeconds(8);
        var (sale, _) = await PrequeueDrawTests.CreatePrequeueSaleAsync(_fixture.App, startsAt, prequeueSeconds: 3_600);
        var others = await _fixture.App.BulkShoppersAsync(2);
        using (var client = _fixture.App.Anonymous())
        {
            foreach (var shopper in others)
            {
                Assert.True((await PrequeueDrawTests.JoinAsync(client, sale, shopper.AccessToken)).Prequeue);
            }
        }
        _page.SignUp("Piper", $"piper-{Guid.NewGuid():N}@example.com", "correct horse battery");
        _page.Go($"#/sale/{sale}");
        _page.WaitForText("live-state", t => t == "live", "the live socket", TimeSpan.FromSeconds(5));

        _page.Click("join-queue");

        _page.WaitForText("queue-prequeue", t => t.StartsWith("You are in the pre-queue (3 so far)", StringComparison.Ordinal), "the pre-queue");
        // At the start the host's admission loop draws; the page learns its drawn ticket and shows where to verify it.
        _page.WaitForText("draw-result", t => t.StartsWith("The draw gave you ticket #", StringComparison.Ordinal) && t.Contains("of 3", StringComparison.Ordinal),
            "the draw result", TimeSpan.FromSeconds(20));
        Assert.EndsWith($"/api/v1/flash-sales/{sale}/fairness", _page.Visible("draw-verify").GetAttribute("href"), StringComparison.Ordinal);
        _page.WaitForText("queue-turn", t => t.StartsWith("It's your turn!", StringComparison.Ordinal), "the turn", TimeSpan.FromSeconds(10));
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
