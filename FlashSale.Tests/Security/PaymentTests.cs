using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.Extensions.Configuration;

namespace FlashSale.Tests.Security;

public sealed class NoGatewayApp : DefaultLimitsApp
{
    public NoGatewayApp() => Settings["Payments:Gateway"] = "";
}

/// <summary>Issue 11 item 5: the test gateway only when asked for; otherwise pay is 503 and the host warns at start.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class NoGatewayTests(NoGatewayApp app) : IClassFixture<NoGatewayApp>
{
    [Fact]
    public async Task Without_a_gateway_pay_answers_503_payment_unavailable_and_the_order_stays_reserved()
    {
        var sale = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var shopper = await app.ShopperAsync();
        var order = await (await shopper.BuyAsync(sale, 1, "k1")).Content.ReadFromJsonAsync<JsonElement>();
        var id = order.GetProperty("id").GetGuid();

        var pay = await shopper.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { cardNumber = "4242424242424242" });

        await ProblemAssert.IsProblemAsync(pay, HttpStatusCode.ServiceUnavailable, "payment-unavailable");
        var after = await shopper.GetFromJsonAsync<JsonElement>($"/api/v1/orders/{id}");
        Assert.Equal("reserved", after.GetProperty("status").GetString());
        Assert.Contains(app.Log.Lines, line => line.Contains("No payment gateway is configured", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Development", "test")]
    [InlineData("Production", "")]
    public void Only_Development_defaults_to_the_test_gateway(string environment, string gateway)
    {
        var directory = Path.GetDirectoryName(typeof(Program).Assembly.Location)!;
        var configuration = new ConfigurationBuilder().SetBasePath(directory)
            .AddJsonFile("appsettings.json").AddJsonFile($"appsettings.{environment}.json", optional: true).Build();
        Assert.Equal(gateway, configuration["Payments:Gateway"] ?? "");
    }
}

/// <summary>Issue 11 item 5: card testing against one order is cut off after a few attempts.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class PayAttemptTests(DefaultLimitsApp app) : IClassFixture<DefaultLimitsApp>
{
    [Fact]
    public async Task An_order_takes_five_pay_attempts_per_window_then_429_with_retry_after()
    {
        var sale = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var shopper = await app.ShopperAsync();
        var id = (await (await shopper.BuyAsync(sale, 1, "k1")).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        for (var i = 0; i < 5; i++)
        {
            await ProblemAssert.IsProblemAsync(await shopper.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { cardNumber = $"40000000000{i}0002" }),
                HttpStatusCode.PaymentRequired, "payment-declined");
        }

        var sixth = await shopper.PostAsJsonAsync($"/api/v1/orders/{id}/pay", new { cardNumber = "4242424242424242" });

        await ProblemAssert.IsProblemAsync(sixth, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.True(sixth.Headers.RetryAfter?.Delta > TimeSpan.FromMinutes(1));
    }
}
