using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Host.Sales;
using FlashSale.Tests.Purchases;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>A sale whose line asks each join for a proof of work (joinChallengeBits), through the API.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class JoinChallengeLineTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    private const int Bits = 12;

    private static ulong Solve(Guid sale, Guid user, int bits)
    {
        ulong nonce = 0;
        while (!JoinChallenge.IsSolved(sale, user, nonce, bits))
        {
            nonce++;
        }
        return nonce;
    }

    private static ulong Unsolved(Guid sale, Guid user, int bits)
    {
        ulong nonce = 0;
        while (JoinChallenge.IsSolved(sale, user, nonce, bits))
        {
            nonce++;
        }
        return nonce;
    }

    private static async Task<HttpResponseMessage> JoinWithAsync(HttpClient client, Guid sale, string token, object? body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/flash-sales/{sale}/queue")
        {
            Content = body is null ? null : JsonContent.Create(body),
        }.As(token);
        return await client.SendAsync(request);
    }

    private async Task<Guid> ChallengedSaleAsync(int bits = Bits)
    {
        var sale = await app.CreateSaleAsync(stock: 10);
        await app.SetJoinChallengeAsync(sale, bits);
        return sale;
    }

    private async Task<long> IssuedAsync(Guid sale)
    {
        using var admin = await app.AdminAsync();
        return (await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{sale}/queue/stats")).GetProperty("issued").GetInt64();
    }

    [Fact]
    public async Task A_join_without_a_valid_proof_is_refused_400_challenge_failed_and_hands_out_no_place()
    {
        var sale = await ChallengedSaleAsync();
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        using var bare = await client.JoinAsync(sale, shopper.AccessToken);
        using var wrong = await JoinWithAsync(client, sale, shopper.AccessToken, new { nonce = Unsolved(sale, shopper.User.Id, Bits) });
        // A proof of another account or another sale does not carry over.
        var other = await app.RegisterShopperAsync();
        var othersNonce = Solve(sale, other.User.Id, Bits);
        Assert.False(JoinChallenge.IsSolved(sale, shopper.User.Id, othersNonce, Bits));
        using var borrowed = await JoinWithAsync(client, sale, shopper.AccessToken, new { nonce = othersNonce });

        foreach (var refused in (HttpResponseMessage[])[bare, wrong, borrowed])
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("challenge-failed", await refused.ProblemSlugAsync());
        }
        using var notANonce = await JoinWithAsync(client, sale, shopper.AccessToken, new { nonce = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, notANonce.StatusCode);
        Assert.Equal("malformed-request", await notANonce.ProblemSlugAsync());

        using var place = await client.PlaceAsync(sale, shopper.AccessToken);
        Assert.Equal("not-in-line", await place.ProblemSlugAsync());
        Assert.Equal(0, await IssuedAsync(sale));
    }

    [Fact]
    public async Task A_join_with_a_valid_proof_gets_a_ticket_and_one_account_still_holds_one_ticket()
    {
        var sale = await ChallengedSaleAsync();
        var first = await app.RegisterShopperAsync();
        var second = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        var nonce = Solve(sale, first.User.Id, Bits);

        using var joined = await JoinWithAsync(client, sale, first.AccessToken, new { nonce });
        Assert.Equal(HttpStatusCode.OK, joined.StatusCode);
        var ticket = (await joined.Content.ReadFromJsonAsync<QueueBody>())!.Ticket;
        // The same proof again is the same place.
        using var again = await JoinWithAsync(client, sale, first.AccessToken, new { nonce });
        Assert.Equal(ticket, (await again.Content.ReadFromJsonAsync<QueueBody>())!.Ticket);
        using var next = await JoinWithAsync(client, sale, second.AccessToken, new { nonce = Solve(sale, second.User.Id, Bits) });
        Assert.Equal(ticket + 1, (await next.Content.ReadFromJsonAsync<QueueBody>())!.Ticket);
        Assert.Equal(2, await IssuedAsync(sale));
        // Reading the place needs no proof.
        Assert.True((await client.WaitAdmittedAsync(sale, first.AccessToken)).Admitted);

        // Turning the challenge off lets a plain join in again.
        await app.SetJoinChallengeAsync(sale, 0);
        var third = await app.RegisterShopperAsync();
        Assert.Equal(ticket + 2, (await client.JoinOkAsync(sale, third.AccessToken)).Ticket);
    }

    [Fact]
    public async Task The_challenge_is_0_to_28_bits_and_the_public_sale_says_how_to_solve_it()
    {
        var plain = await app.CreateSaleAsync(stock: 5);
        using var anonymous = app.Anonymous();
        var view = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{plain}");
        Assert.Equal(0, view.GetProperty("joinChallengeBits").GetInt32());
        Assert.Equal(JsonValueKind.Null, view.GetProperty("joinChallenge").ValueKind);

        using var admin = await app.AdminAsync();
        foreach (var bits in (int[])[-1, 29])
        {
            using var patch = await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{plain}", new { joinChallengeBits = bits });
            Assert.Equal(HttpStatusCode.BadRequest, patch.StatusCode);
            var problem = await patch.Content.ReadFromJsonAsync<JsonElement>();
            Assert.EndsWith("/validation", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
            Assert.True(problem.GetProperty("errors").TryGetProperty("joinChallengeBits", out _));
        }
        var product = (await (await admin.PostAsJsonAsync("/api/v1/products", new { name = "Challenge product", description = "", basePrice = 100m }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var now = DateTimeOffset.UtcNow;
        using var tooHard = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId = product, salePrice = 10m, totalStock = 5, perUserLimit = 1, startsAt = now, endsAt = now.AddHours(1),
            waitingRoom = true, joinChallengeBits = 29,
        });
        Assert.Equal(HttpStatusCode.BadRequest, tooHard.StatusCode);
        Assert.Equal("validation", await tooHard.ProblemSlugAsync());
        using var created = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId = product, salePrice = 10m, totalStock = 5, perUserLimit = 1, startsAt = now, endsAt = now.AddHours(1),
            waitingRoom = true, joinChallengeBits = JoinChallenge.MaxBits,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var sale = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var shown = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{sale}");
        Assert.Equal(JoinChallenge.MaxBits, shown.GetProperty("joinChallengeBits").GetInt32());
        var challenge = shown.GetProperty("joinChallenge");
        Assert.Equal(JoinChallenge.MaxBits, challenge.GetProperty("bits").GetInt32());
        Assert.Contains("RFC 4122", challenge.GetProperty("input").GetString(), StringComparison.Ordinal);
        Assert.Contains("big-endian", challenge.GetProperty("input").GetString(), StringComparison.Ordinal);
        Assert.Contains("nonce", challenge.GetProperty("submit").GetString(), StringComparison.Ordinal);
    }
}
