using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>
/// Changing <c>prequeueSeconds</c> of an existing sale (admin PATCH): refused once the sale started, the pre-queue opened,
/// the new value would open it now or in the past, or shoppers hold places; otherwise the join window follows, and the
/// draw's seed hash never changes once assigned.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PrequeueChangeTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    private async Task<HttpResponseMessage> PatchAsync(Guid sale, int prequeueSeconds)
    {
        using var admin = await app.AdminAsync();
        return await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{sale}", new { prequeueSeconds });
    }

    private async Task<JsonElement> PatchOkAsync(Guid sale, int prequeueSeconds)
    {
        using var response = await PatchAsync(sale, prequeueSeconds);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(prequeueSeconds, body.GetProperty("prequeueSeconds").GetInt32());
        return body;
    }

    private async Task IsFixedAsync(Guid sale, int prequeueSeconds)
    {
        using var response = await PatchAsync(sale, prequeueSeconds);
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "prequeue-fixed");
    }

    [Fact]
    public async Task Out_of_range_values_and_a_sale_without_a_waiting_room_are_refused_400()
    {
        var sale = await app.CreateSaleAsync(stock: 5, startsAt: DateTimeOffset.UtcNow.AddMinutes(30));
        var plain = await app.CreateSaleAsync(stock: 5, waitingRoom: false, startsAt: DateTimeOffset.UtcNow.AddMinutes(30));
        foreach (var (id, seconds) in new[] { (sale, -1), (sale, 86_401), (plain, 60) })
        {
            using var response = await PatchAsync(id, seconds);
            await ProblemAssert.IsValidationProblemAsync(response, "prequeueSeconds");
        }
    }

    [Fact]
    public async Task A_started_sale_an_opened_pre_queue_one_that_would_open_now_and_a_line_with_places_are_refused_409()
    {
        var started = await app.CreateSaleAsync(stock: 5);
        await IsFixedAsync(started, 60);

        var (opened, _) = await PrequeueDrawTests.CreatePrequeueSaleAsync(app, DateTimeOffset.UtcNow.AddMinutes(10), prequeueSeconds: 3_600);
        await IsFixedAsync(opened, 60);
        await IsFixedAsync(opened, 0);

        var upcoming = await app.CreateSaleAsync(stock: 5, startsAt: DateTimeOffset.UtcNow.AddMinutes(10));
        await IsFixedAsync(upcoming, 600); // would open at the start minus ten minutes: now, or just past
        await IsFixedAsync(upcoming, 3_600);

        // An upcoming line can be joined: once someone holds a ticket, the line is what it is.
        var shopper = (await app.BulkShoppersAsync(1))[0];
        using var client = app.Anonymous();
        Assert.Equal(1, (await client.JoinOkAsync(upcoming, shopper.AccessToken)).Ticket);
        await IsFixedAsync(upcoming, 60);
    }

    [Fact]
    public async Task Before_it_opens_the_pre_queue_follows_the_change_and_the_seed_hash_never_changes()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(30);
        var sale = await app.CreateSaleAsync(stock: 5, startsAt: startsAt);
        var shopper = (await app.BulkShoppersAsync(1))[0];
        using var client = app.Anonymous();
        using (await client.PlaceAsync(sale, shopper.AccessToken))
        {
            // A place read puts the sale's state into Redis: the change below must reach a line that exists there.
        }

        // A sale created without a pre-queue gets its seed with the first one, before anyone can enter.
        var first = await PatchOkAsync(sale, 300);
        var seedHash = first.GetProperty("fairness").GetProperty("seedHash").GetString();
        Assert.Matches("^[0-9a-f]{64}$", seedHash);
        using (var early = await client.JoinAsync(sale, shopper.AccessToken))
        {
            await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Conflict, "prequeue-not-open");
        }

        // Opens in two seconds: then a join is an entry of the draw (Redis' line followed), not a ticket.
        var seconds = (int)(startsAt - DateTimeOffset.UtcNow).TotalSeconds - 2;
        var second = await PatchOkAsync(sale, seconds);
        Assert.Equal(seedHash, second.GetProperty("fairness").GetProperty("seedHash").GetString());
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.True((await PrequeueDrawTests.JoinAsync(client, sale, shopper.AccessToken)).Prequeue);
        await IsFixedAsync(sale, 60);
    }

    [Fact]
    public async Task A_pre_queue_turned_off_before_it_opens_lets_shoppers_take_tickets_again()
    {
        var (sale, seedHash) = await PrequeueDrawTests.CreatePrequeueSaleAsync(app, DateTimeOffset.UtcNow.AddHours(3), prequeueSeconds: 3_600);
        var shopper = (await app.BulkShoppersAsync(1))[0];
        using var client = app.Anonymous();
        using (await client.PlaceAsync(sale, shopper.AccessToken))
        {
            // The sale's state is in Redis now, its line taking entries for the draw.
        }
        var off = await PatchOkAsync(sale, 0);
        Assert.Equal(seedHash, off.GetProperty("fairness").GetProperty("seedHash").GetString());
        var place = await PrequeueDrawTests.JoinAsync(client, sale, shopper.AccessToken);
        Assert.Equal((false, 1L), (place.Prequeue, place.Ticket));
    }
}
