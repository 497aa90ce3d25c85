using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Dapper;
using FlashSale.Host.Notifications;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Notifications;

/// <summary>
/// Issue 16 (FuzzTests seed 4Xum53hBiOk2): a write to the notification routes that says nothing they know is a 400
/// problem+json and changes nothing, instead of a 200 that silently did nothing.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class NotificationRequestTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private const string Preferences = "/api/v1/auth/me/notifications";

    [Theory]
    [InlineData("{}", "body")]
    [InlineData("{\"reserved\":null,\"priceDrop\":null}", "body")]
    [InlineData("{\"basePrice\":[1,2,3],\"version\":\"Vfb\",\"perUserLimit\":110,\"refreshToken\":\"2026-13-45T99:00:00Z\"}", "basePrice")]
    [InlineData("{\"reserved\":false,\"priceDrops\":false}", "priceDrops")]
    [InlineData("{\"paid\":false,\"sale_opening\":false}", "sale_opening")]
    public async Task A_preferences_change_naming_no_known_field_or_an_unknown_one_is_refused_and_changes_nothing(string body, string field)
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.WithToken(shopper.AccessToken);

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        await ProblemAssert.IsValidationProblemAsync(await client.PutAsync(Preferences, content), field);

        var preferences = await client.GetFromJsonAsync<JsonElement>(Preferences);
        Assert.All(preferences.EnumerateObject(), p => Assert.True(p.Value.GetBoolean(), p.Name));
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteScalarAsync<int>("select count(*)::int from notification_opt_outs where user_id = @id",
            new { id = shopper.User.Id }));
    }

    [Fact]
    public async Task A_signed_unsubscribe_link_of_a_shopper_who_no_longer_exists_is_a_404_not_a_claim_of_success()
    {
        var links = app.Services.GetRequiredService<UnsubscribeLinks>();
        var gone = new Uri(links.For(Guid.NewGuid(), "paid")).PathAndQuery;
        using var anonymous = app.Anonymous();

        await ProblemAssert.IsProblemAsync(await anonymous.PostAsync(gone, null), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await anonymous.GetAsync(gone), HttpStatusCode.NotFound, "not-found");

        var shopper = await app.RegisterShopperAsync();
        var mine = new Uri(links.For(shopper.User.Id, "paid")).PathAndQuery;
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(mine, null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.PostAsync(mine, null)).StatusCode); // twice is the same
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(["paid"], await connection.QueryAsync<string>("select kind from notification_opt_outs where user_id = @id", new { id = shopper.User.Id }));
    }

    [Fact]
    public async Task A_preferences_change_naming_known_fields_changes_only_those()
    {
        using var client = await app.ShopperAsync();

        var put = await client.PutAsJsonAsync(Preferences, new { saleOpening = false, paid = (bool?)null });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var preferences = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.False(preferences.GetProperty("saleOpening").GetBoolean());
        Assert.True(preferences.GetProperty("paid").GetBoolean());
    }
}
