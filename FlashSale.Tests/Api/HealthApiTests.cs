using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Integration)]
public sealed class HealthApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public async Task Health_reports_database_and_redis_connected()
    {
        using var client = app.Anonymous();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("healthy", body.GetProperty("status").GetString());
        Assert.Equal("connected", body.GetProperty("database").GetString());
        Assert.Equal("connected", body.GetProperty("redis").GetString());
        Assert.True(body.GetProperty("uptime").GetDouble() >= 0);
        Assert.True(body.TryGetProperty("timestamp", out _));
    }

    [Fact]
    public async Task Liveness_answers_without_dependencies()
    {
        using var client = app.Anonymous();
        Assert.Equal("ok", await client.GetStringAsync("/health/live"));
    }

    [Fact]
    public async Task Unknown_routes_and_methods_are_problems()
    {
        using var client = app.Anonymous();
        await ProblemAssert.IsProblemAsync(await client.GetAsync("/api/v1/nothing-here"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await client.DeleteAsync("/api/v1/products"), HttpStatusCode.MethodNotAllowed, "method-not-allowed");
    }
}

public sealed class DegradedApp : FlashSaleApp
{
    // Nothing listens on port 1: Redis is "down" for this host.
    public DegradedApp() => Settings["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=200";
}

[Trait("Category", TestCategory.Integration)]
public sealed class DegradedHealthTests(DegradedApp app) : IClassFixture<DegradedApp>
{
    [Fact]
    public async Task Health_is_503_degraded_when_redis_is_down()
    {
        using var client = app.Anonymous();

        var response = await client.GetAsync("/health");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("degraded", body.GetProperty("status").GetString());
        Assert.Equal("connected", body.GetProperty("database").GetString());
        Assert.Equal("disconnected", body.GetProperty("redis").GetString());
    }
}
