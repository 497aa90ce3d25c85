using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Integration)]
public sealed class SalesApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private static async Task<Guid> CreateProductAsync(HttpClient admin, decimal basePrice = 100m)
    {
        var response = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Product", description = "", basePrice });
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static object Sale(Guid productId, DateTimeOffset startsAt, DateTimeOffset endsAt, decimal salePrice = 50m, int totalStock = 10, int perUserLimit = 2) =>
        new { productId, salePrice, totalStock, perUserLimit, startsAt, endsAt };

    private async Task<long> SaleCountAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from flash_sales");
    }

    [Fact]
    public async Task A_sale_starting_in_the_past_opens_at_once_with_full_stock()
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var now = DateTimeOffset.UtcNow;

        var response = await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now.AddMinutes(-5), now.AddHours(1), 49.5m, 7, 3));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var sale = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("active", sale.GetProperty("status").GetString());
        Assert.Equal(7, sale.GetProperty("totalStock").GetInt32());
        Assert.Equal(7, sale.GetProperty("remainingStock").GetInt32());
        Assert.Equal(3, sale.GetProperty("perUserLimit").GetInt32());
        Assert.Equal("49.50", sale.GetProperty("salePrice").GetRawText());
        Assert.Equal("100.00", sale.GetProperty("basePrice").GetRawText());
        Assert.Equal("Product", sale.GetProperty("productName").GetString());
        Assert.True(sale.GetProperty("startsAt").GetDateTimeOffset() >= now.AddSeconds(-5));

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        var ledger = await connection.ExecuteScalarAsync<int>("select quantity from inventory_ledger where flash_sale_id = @id and movement = 'sale_created'",
            new { id = sale.GetProperty("id").GetGuid() });
        Assert.Equal(7, ledger);
    }

    [Fact]
    public async Task Sales_are_listed_and_filtered_by_status()
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var now = DateTimeOffset.UtcNow;
        var upcoming = (await (await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now.AddHours(1), now.AddHours(2)))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var active = (await (await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(2)))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var client = app.Anonymous();

        var upcomingList = await client.GetFromJsonAsync<JsonElement[]>("/api/v1/flash-sales?status=upcoming");
        var activeList = await client.GetFromJsonAsync<JsonElement[]>("/api/v1/flash-sales?status=active");
        var all = await client.GetFromJsonAsync<JsonElement[]>("/api/v1/flash-sales");

        Assert.Contains(upcomingList!, s => s.GetProperty("id").GetGuid() == upcoming);
        Assert.DoesNotContain(upcomingList!, s => s.GetProperty("id").GetGuid() == active);
        Assert.Contains(activeList!, s => s.GetProperty("id").GetGuid() == active);
        Assert.All(activeList!, s => Assert.Equal("active", s.GetProperty("status").GetString()));
        Assert.Contains(all!, s => s.GetProperty("id").GetGuid() == upcoming);
        var single = await client.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{upcoming}");
        Assert.Equal("upcoming", single.GetProperty("status").GetString());
    }

    [Fact]
    public async Task An_unknown_status_filter_is_a_validation_problem()
    {
        using var client = app.Anonymous();
        await ProblemAssert.IsValidationProblemAsync(await client.GetAsync("/api/v1/flash-sales?status=soon"), "status");
    }

    [Fact]
    public async Task Unknown_sale_is_404()
    {
        using var admin = await app.AdminAsync();
        await ProblemAssert.IsProblemAsync(await admin.GetAsync($"/api/v1/flash-sales/{Guid.NewGuid()}"), HttpStatusCode.NotFound, "not-found");
        await ProblemAssert.IsProblemAsync(await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{Guid.NewGuid()}", new { salePrice = 1m }), HttpStatusCode.NotFound, "not-found");
    }

    public static TheoryData<string, string> InvalidSales => new()
    {
        { """{"salePrice":10,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "productId" },
        { """{"productId":"PRODUCT","salePrice":-1,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "salePrice" },
        { """{"productId":"PRODUCT","salePrice":150,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "salePrice" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":0,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "totalStock" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":5,"perUserLimit":0,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "perUserLimit" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":5,"perUserLimit":1,"startsAt":"2099-01-02T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "endsAt" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2021-01-01T00:00:00Z"}""", "endsAt" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":5,"perUserLimit":1,"endsAt":"2099-01-01T00:00:00Z"}""", "startsAt" },
        { """{"productId":"00000000-0000-0000-0000-000000000001","salePrice":10,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z"}""", "productId" },
        { """{"productId":"PRODUCT","salePrice":10,"totalStock":5,"perUserLimit":1,"startsAt":"2020-01-01T00:00:00Z","endsAt":"2099-01-01T00:00:00Z","paymentWindowSeconds":5}""", "paymentWindowSeconds" },
    };

    [Theory]
    [MemberData(nameof(InvalidSales))]
    public async Task Invalid_sales_are_refused_and_nothing_changes(string json, string field)
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var before = await SaleCountAsync();
        using var content = new StringContent(json.Replace("PRODUCT", productId.ToString(), StringComparison.Ordinal), System.Text.Encoding.UTF8, "application/json");

        var response = await admin.PostAsync("/api/v1/flash-sales", content);

        await ProblemAssert.IsValidationProblemAsync(response, field);
        Assert.Equal(before, await SaleCountAsync());
    }

    [Fact]
    public async Task Only_admins_create_or_change_sales()
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var now = DateTimeOffset.UtcNow;
        var saleId = (await (await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1)))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var shopper = await app.ShopperAsync();

        await ProblemAssert.IsProblemAsync(await shopper.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1))), HttpStatusCode.Forbidden, "forbidden");
        await ProblemAssert.IsProblemAsync(await shopper.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = 1m }), HttpStatusCode.Forbidden, "forbidden");
        var unchanged = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}");
        Assert.Equal(50m, unchanged.GetProperty("salePrice").GetDecimal());
    }

    [Fact]
    public async Task Admin_patches_price_and_end_time()
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var now = DateTimeOffset.UtcNow;
        var saleId = (await (await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1)))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var newEnd = now.AddHours(3);

        var response = await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = 39.99m, endsAt = newEnd });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sale = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(39.99m, sale.GetProperty("salePrice").GetDecimal());
        Assert.Equal(newEnd.UtcDateTime, sale.GetProperty("endsAt").GetDateTime(), TimeSpan.FromMilliseconds(1));
    }

    [Fact]
    public async Task Invalid_patches_are_refused_and_nothing_changes()
    {
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin);
        var now = DateTimeOffset.UtcNow;
        var saleId = (await (await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1)))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        await ProblemAssert.IsValidationProblemAsync(await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { }), "body");
        await ProblemAssert.IsValidationProblemAsync(await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = -3m }), "salePrice");
        await ProblemAssert.IsValidationProblemAsync(await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { endsAt = now.AddDays(-1) }), "endsAt");

        var sale = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}");
        Assert.Equal(50m, sale.GetProperty("salePrice").GetDecimal());
    }

    [Fact]
    public async Task A_sale_whose_price_times_per_user_limit_does_not_fit_an_order_total_is_refused_at_creation_and_patch()
    {
        // An order's total_price is numeric(12,2): 6e9 x 2 would not fit, and one such order used to fail the whole
        // group commit it landed in (other sales' orders with it).
        using var admin = await app.AdminAsync();
        var productId = await CreateProductAsync(admin, basePrice: 9_999_999_999.99m);
        var now = DateTimeOffset.UtcNow;
        var count = await SaleCountAsync();

        var refused = await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1), salePrice: 6_000_000_000m, perUserLimit: 2));
        await ProblemAssert.IsValidationProblemAsync(refused, "salePrice");
        Assert.Equal(count, await SaleCountAsync());

        var fits = await admin.PostAsJsonAsync("/api/v1/flash-sales", Sale(productId, now, now.AddHours(1), salePrice: 4_999_999_999.99m, perUserLimit: 2));
        Assert.Equal(HttpStatusCode.Created, fits.StatusCode);
        var saleId = (await fits.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        var patch = await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { salePrice = 5_000_000_000m });
        await ProblemAssert.IsValidationProblemAsync(patch, "salePrice");
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        Assert.Equal(4_999_999_999.99m, await connection.ExecuteScalarAsync<decimal>("select sale_price from flash_sales where id = @saleId", new { saleId }));
    }
}
