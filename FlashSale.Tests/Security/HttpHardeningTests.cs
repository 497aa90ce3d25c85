using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Security;

/// <summary>Issue 11 item 9: security headers, a body limit, control characters refused, a bounded page number.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class HttpHardeningTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private async Task<long> CountAsync(string table)
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>($"select count(*) from {table}");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/api/v1/flash-sales")]
    [InlineData("/api/v1/no-such-route")]
    public async Task Every_response_carries_the_security_headers_and_plain_http_no_HSTS(string path)
    {
        using var client = app.Anonymous();
        using var response = await client.GetAsync(path);

        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("frame-ancestors 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.False(response.Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task The_page_takes_its_policy_from_the_headers_not_from_meta_tags()
    {
        using var client = app.Anonymous();
        var html = await client.GetStringAsync("/");
        Assert.DoesNotContain("http-equiv=\"Content-Security-Policy\"", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_body_over_64_KB_is_refused_413_problem_and_writes_nothing()
    {
        var before = await CountAsync("users");
        using var client = app.Anonymous();
        using var body = new StringContent(System.Text.Json.JsonSerializer.Serialize(
            new { email = $"big-{Guid.NewGuid():N}@example.com", password = "long enough pw", displayName = "Big", padding = new string('x', 70_000) }),
            Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/api/v1/auth/register", body);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "request-too-large");
        Assert.Equal(before, await CountAsync("users"));
    }

    [Theory]
    // JSON escapes, sent as written: a lone surrogate survives neither an attribute's UTF-8 nor a JSON serializer.
    [InlineData("displayName", @"Ada\u0000Lovelace")]
    [InlineData("displayName", @"Ada\u001bLovelace")]
    [InlineData("displayName", @"Ada\ud800")]
    [InlineData("password", @"long enough\u0000pw")]
    public async Task Control_characters_in_any_text_field_are_a_400_naming_the_field(string field, string value)
    {
        var before = await CountAsync("users");
        using var client = app.Anonymous();
        var fields = new Dictionary<string, string>
        {
            ["email"] = $"ctl-{Guid.NewGuid():N}@example.com",
            ["password"] = "long enough pw",
            ["displayName"] = "Ada",
        };
        fields[field] = value;

        var json = "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":\"{f.Value}\"")) + "}";
        var response = await client.PostAsync("/api/v1/auth/register", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await ProblemAssert.IsValidationProblemAsync(response, field);
        Assert.Equal(before, await CountAsync("users"));
    }

    [Fact]
    public async Task A_NUL_in_an_admin_product_name_is_a_400_not_a_database_error()
    {
        var before = await CountAsync("products");
        using var admin = await app.AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Null\u0000byte", description = "line one\nline two", basePrice = 1m });
        await ProblemAssert.IsValidationProblemAsync(response, "name");
        Assert.Equal(before, await CountAsync("products"));

        // Tabs and line breaks are text, not control: a multi-line description is fine.
        Assert.Equal(HttpStatusCode.Created, (await admin.PostAsJsonAsync("/api/v1/products", new { name = "Fine", description = "line one\r\n\tline two", basePrice = 1m })).StatusCode);
    }

    [Theory]
    [InlineData("page=2147483647")]
    [InlineData("page=100001")]
    [InlineData("page=0")]
    [InlineData("page=99999999999")]
    [InlineData("pageSize=2147483647")]
    public async Task A_page_beyond_a_sane_bound_is_a_400_never_a_500(string query)
    {
        using var shopper = await app.ShopperAsync();
        var response = await shopper.GetAsync($"/api/v1/orders?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
