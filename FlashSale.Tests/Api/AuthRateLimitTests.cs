using System.Net;
using System.Net.Http.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Api;

public sealed class RateLimitedApp : FlashSaleApp
{
    public RateLimitedApp()
    {
        Settings["RateLimits:Auth:PermitLimit"] = "3";
        Settings["RateLimits:Auth:WindowSeconds"] = "120";
    }
}

[Trait("Category", TestCategory.Integration)]
public sealed class AuthRateLimitTests(RateLimitedApp app) : IClassFixture<RateLimitedApp>
{
    [Fact]
    public async Task Sign_in_attempts_over_the_configured_limit_get_429_with_retry_after()
    {
        using var client = app.Anonymous();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 5; i++)
        {
            answers.Add(await client.PostAsJsonAsync("/api/v1/auth/login", new { email = "nobody@example.com", password = "wrong password" }));
        }

        Assert.All(answers.Take(3), a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));
        var limited = answers[4];
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
    }
}
