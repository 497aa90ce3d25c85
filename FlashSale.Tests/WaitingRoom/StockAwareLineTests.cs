using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>A line that knows what is left: sold out refuses new places, returned units resume the line in ticket order.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class StockAwareLineTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    [Fact]
    public async Task Sold_out_refuses_joins_and_a_cancelled_order_sends_restock_and_admits_the_next_present_shopper()
    {
        // One unit: at most two live admissions, so the third shopper waits behind the first two.
        var sale = await app.CreateSaleAsync(stock: 1, perUserLimit: 1);
        var shoppers = await app.BulkShoppersAsync(4);
        var (buyer, second, waiting, late) = (shoppers[0].AccessToken, shoppers[1].AccessToken, shoppers[2].AccessToken, shoppers[3].AccessToken);
        using var client = app.Anonymous();
        await client.JoinOkAsync(sale, buyer);
        await client.JoinOkAsync(sale, second);
        var third = await client.JoinOkAsync(sale, waiting);
        using var socket = await app.OpenSocketAsync(waiting);
        await socket.SubscribeAsync(sale);
        await client.WaitAdmittedAsync(sale, buyer);

        using var bought = await client.BuyAsync(sale, buyer);
        Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        var orderId = (await bought.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        await socket.WaitForFrameAsync(f => f.Is("sale", sale) && f.GetProperty("status").GetString() == "sold_out", what: "the sold-out frame");

        using (var refused = await client.JoinAsync(sale, late))
        {
            await ProblemAssert.IsProblemAsync(refused, HttpStatusCode.Conflict, "sold-out");
        }
        using (var kept = await client.PlaceAsync(sale, waiting))
        {
            var place = (await kept.Content.ReadFromJsonAsync<QueueBody>())!;
            Assert.Equal((third.Ticket, false), (place.Ticket, place.Admitted)); // the waiting shopper keeps the place
        }
        await Task.Delay(200); // steps run while sold out: nobody is admitted for units that are gone
        using (var still = await client.PlaceAsync(sale, waiting))
        {
            Assert.False((await still.Content.ReadFromJsonAsync<QueueBody>())!.Admitted);
        }

        using var cancel = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{orderId}/cancel").As(buyer);
        using (var cancelled = await client.SendAsync(cancel))
        {
            Assert.True(cancelled.IsSuccessStatusCode, $"cancel answered {cancelled.StatusCode}");
        }

        var restock = await socket.WaitForFrameAsync(f => f.Is("restock", sale), what: "the restock frame");
        Assert.Equal(("active", 1), (restock.GetProperty("status").GetString(), restock.GetProperty("remainingStock").GetInt32()));
        var admitted = await client.WaitAdmittedAsync(sale, waiting);
        Assert.Equal(third.Ticket, admitted.Ticket);
        // A second chance in ticket order, never a new race: a new joiner queues behind.
        Assert.True((await client.JoinOkAsync(sale, late)).Ticket > third.Ticket);
    }
}
