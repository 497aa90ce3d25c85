using System.Net;
using System.Net.Http.Json;
using FlashSale.Engine.Redis;
using FlashSale.Host.Sales;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace FlashSale.Tests.Security;

/// <summary>Issue 11 item 4: a token bucket per user on purchases, the waiting room and pay.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class ShopperRateLimitTests(DefaultLimitsApp app) : IClassFixture<DefaultLimitsApp>
{
    private static async Task<HttpResponseMessage[]> BurstAsync(HttpClient client, Func<int, HttpRequestMessage> request, int count) =>
        await Task.WhenAll(Enumerable.Range(0, count).Select(i => client.SendAsync(request(i))));

    [Fact]
    public async Task A_burst_of_purchases_from_one_user_is_cut_at_the_bucket_with_429_and_retry_after_and_others_still_buy()
    {
        using var bot = await app.ShopperAsync();
        var saleId = Guid.NewGuid(); // no such sale: each admitted request is a cheap 404, each refused one a 429
        var answers = await BurstAsync(bot, i => new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { flashSaleId = saleId, quantity = 1 }),
            Headers = { { "Idempotency-Key", "k" + i } },
        }, 30);

        Assert.InRange(answers.Count(a => a.StatusCode == HttpStatusCode.NotFound), 10, 29);
        var limited = answers.First(a => a.StatusCode == HttpStatusCode.TooManyRequests);
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.True(limited.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        using var other = await app.ShopperAsync();
        using var theirs = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { flashSaleId = saleId, quantity = 1 }),
            Headers = { { "Idempotency-Key", "mine" } },
        };
        Assert.Equal(HttpStatusCode.NotFound, (await other.SendAsync(theirs)).StatusCode);
    }

    [Fact]
    public async Task The_waiting_room_and_pay_share_the_users_bucket()
    {
        using var bot = await app.ShopperAsync();
        var queue = await BurstAsync(bot, _ => new HttpRequestMessage(HttpMethod.Get, $"/api/v1/flash-sales/{Guid.NewGuid()}/queue/me"), 20);
        Assert.Contains(queue, a => a.StatusCode == HttpStatusCode.TooManyRequests);

        using var payer = await app.ShopperAsync();
        var pay = await BurstAsync(payer, _ => new HttpRequestMessage(HttpMethod.Post, $"/api/v1/orders/{Guid.NewGuid()}/pay")
        {
            Content = JsonContent.Create(new { cardNumber = "4242424242424242" }),
        }, 20);
        Assert.Contains(pay, a => a.StatusCode == HttpStatusCode.TooManyRequests);
    }
}

/// <summary>Issue 11 item 4: a bot cycling Idempotency-Keys cannot grow Redis or the sale cache without bound.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class UnboundedGrowthTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Refusals_under_fresh_keys_are_remembered_only_up_to_a_cap_per_user()
    {
        var sale = await app.CreateSaleAsync(totalStock: 100, perUserLimit: 1);
        using var bot = await app.ShopperAsync();
        for (var i = 0; i < 60; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
            {
                Content = JsonContent.Create(new { flashSaleId = sale, quantity = 1 }),
                Headers = { { "Idempotency-Key", "cycle-" + i } },
            };
            var answer = await bot.SendAsync(request);
            Assert.Equal(i == 0 ? HttpStatusCode.Created : HttpStatusCode.Conflict, answer.StatusCode);
        }

        await using var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var fields = await redis.GetDatabase().HashLengthAsync(RedisSaleKeys.For(sale).Idempotency);
        // One acceptance, at most IdempotencyBounds.MaxRecordedRefusalsPerShopper refusals, one counter.
        Assert.InRange(fields, 2, 1 + FlashSale.Engine.Core.IdempotencyBounds.MaxRecordedRefusalsPerShopper + 1);
    }

    [Fact]
    public async Task Random_sale_ids_do_not_grow_the_definition_cache_beyond_its_bound()
    {
        var definitions = new SaleDefinitions((_, _) => Task.FromResult<Sale?>(null), new FakeTimeProvider());
        for (var i = 0; i < SaleDefinitions.MaxUnknownIds + 500; i++)
        {
            Assert.Null(await definitions.FindAsync(Guid.NewGuid(), CancellationToken.None));
        }
        Assert.InRange(definitions.UnknownCount, 1, SaleDefinitions.MaxUnknownIds);
    }
}
