using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Integration)]
public sealed class CatalogApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private async Task<long> ProductCountAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from products");
    }

    [Fact]
    public async Task Admin_creates_a_product_that_anyone_can_read()
    {
        using var admin = await app.AdminAsync();

        var created = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Lamp", description = "Bright", basePrice = 19.9m, imageUrl = "https://img.example.com/l.png" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var product = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("19.90", product.GetProperty("basePrice").GetRawText());
        var id = product.GetProperty("id").GetGuid();
        Assert.Equal($"/api/v1/products/{id}", created.Headers.Location?.OriginalString);
        using var anonymous = app.Anonymous();
        var read = await anonymous.GetFromJsonAsync<JsonElement>($"/api/v1/products/{id}");
        Assert.Equal("Lamp", read.GetProperty("name").GetString());
        var list = await anonymous.GetFromJsonAsync<JsonElement[]>("/api/v1/products");
        Assert.Contains(list!, p => p.GetProperty("id").GetGuid() == id);
    }

    [Fact]
    public async Task Admin_updates_a_product()
    {
        using var admin = await app.AdminAsync();
        var created = await (await admin.PostAsJsonAsync("/api/v1/products", new { name = "Old", description = "", basePrice = 5m })).Content.ReadFromJsonAsync<JsonElement>();
        var id = created.GetProperty("id").GetGuid();

        var updated = await admin.PutAsJsonAsync($"/api/v1/products/{id}", new { name = "New", description = "d", basePrice = 6.5m });

        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        var body = await updated.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("New", body.GetProperty("name").GetString());
        Assert.Equal(6.5m, body.GetProperty("basePrice").GetDecimal());
    }

    [Fact]
    public async Task Unknown_product_is_404()
    {
        using var admin = await app.AdminAsync();
        await ProblemAssert.IsProblemAsync(await admin.GetAsync($"/api/v1/products/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await admin.PutAsJsonAsync($"/api/v1/products/{Guid.NewGuid()}", new { name = "x", description = "", basePrice = 1m }),
            HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await admin.GetAsync("/api/v1/products/not-a-guid"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task A_shopper_cannot_write_the_catalog_and_nothing_changes()
    {
        var before = await ProductCountAsync();
        using var shopper = await app.ShopperAsync();
        using var anonymous = app.Anonymous();

        await ProblemAssert.IsProblemAsync(await shopper.PostAsJsonAsync("/api/v1/products", new { name = "x", description = "", basePrice = 1m }), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/products", new { name = "x", description = "", basePrice = 1m }), HttpStatusCode.Unauthorized, "unauthorized");
        Assert.Equal(before, await ProductCountAsync());
    }

    [Theory]
    [InlineData("", "d", "1", null, "name")]
    [InlineData("n", null, "1", null, "description")]
    [InlineData("n", "d", "-1", null, "basePrice")]
    [InlineData("n", "d", "1.234", null, "basePrice")]
    [InlineData("n", "d", "10000000000", null, "basePrice")]
    [InlineData("n", "d", "1", "javascript:alert(1)", "imageUrl")]
    [InlineData("n", "d", "1", "//evil.example.com/x.png", "imageUrl")]
    public async Task Invalid_product_fields_are_refused_and_nothing_changes(string name, string? description, string price, string? imageUrl, string field)
    {
        var before = await ProductCountAsync();
        using var admin = await app.AdminAsync();

        var response = await admin.PostAsJsonAsync("/api/v1/products", new { name, description, basePrice = decimal.Parse(price, System.Globalization.CultureInfo.InvariantCulture), imageUrl });

        await ProblemAssert.IsValidationProblemAsync(response, field);
        Assert.Equal(before, await ProductCountAsync());
    }
}
