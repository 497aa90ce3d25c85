using System.Net.Http.Json;
using Dapper;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.LoadTesting;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.Hosting.Internal;

namespace FlashSale.Tests.Security;

/// <summary>Issue 11 item 8: the bulk-shopper endpoint never hands out accounts with passwords and stays out of production.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class LoadTestingSecurityTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Theory]
    [InlineData("someone@load.flashsale.test")]
    [InlineData("someone@LOAD.flashsale.test")]
    [InlineData("someone@x.load.flashsale.test")]
    public async Task Registration_refuses_the_load_testing_domain(string email)
    {
        using var client = app.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = "long enough pw", displayName = "Squatter" });
        await ProblemAssert.IsValidationProblemAsync(response, "email");
    }

    [Fact]
    public async Task The_bulk_endpoint_gives_no_token_for_an_account_that_has_a_password()
    {
        var prefix = "p" + Guid.NewGuid().ToString("N")[..10];
        var victim = $"{prefix}-1@load.flashsale.test";
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "insert into users (id, email, email_normalized, display_name, password_hash, role, created_at) values (@id, @victim, upper(@victim), 'Real', 'AQAAAAIAAYagAAAAEreal', 'shopper', now())",
                new { id = Guid.CreateVersion7(), victim });
        }
        using var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/v1/load-testing/shoppers", new { count = 3, prefix });

        response.EnsureSuccessStatusCode();
        var shoppers = (await response.Content.ReadFromJsonAsync<BulkShoppers>())!.Shoppers;
        Assert.Equal(2, shoppers.Length);
        Assert.DoesNotContain(shoppers, s => s.Email == victim);
    }

    [Theory]
    [InlineData("Production", false, false)]
    [InlineData("Staging", false, false)]
    [InlineData("Production", true, true)]
    [InlineData("Development", false, true)]
    [InlineData("Testing", false, true)]
    public void Enabling_it_outside_development_needs_AllowInProduction_too(string environment, bool allow, bool valid)
    {
        var validator = new LoadTestingOptionsValidator(new HostingEnvironment { EnvironmentName = environment });
        Assert.Equal(valid, validator.Validate(null, new LoadTestingOptions { Enabled = true, AllowInProduction = allow }).Succeeded);
        Assert.True(validator.Validate(null, new LoadTestingOptions { Enabled = false }).Succeeded);
    }

    [Fact]
    public void Its_tokens_live_no_longer_than_any_access_token()
    {
        var range = typeof(LoadTestingOptions).GetProperty(nameof(LoadTestingOptions.TokenMinutes))!
            .GetCustomAttributes(typeof(System.ComponentModel.DataAnnotations.RangeAttribute), false).Cast<System.ComponentModel.DataAnnotations.RangeAttribute>().Single();
        Assert.Equal(JwtOptions.MaxAccessTokenMinutes, (int)range.Maximum);
        Assert.Equal(60, JwtOptions.MaxAccessTokenMinutes);
    }
}
