using System.Net;
using System.Net.Http.Json;
using System.Text;
using Dapper;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Integration)]
public sealed class AccountsApiTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    private async Task<long> UserCountAsync()
    {
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<long>("select count(*) from users");
    }

    [Fact]
    public async Task Register_creates_a_shopper_and_returns_a_token_pair()
    {
        using var client = app.Anonymous();
        var email = $"New.Shopper-{Guid.NewGuid():N}@Example.com";

        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = "long enough pw", displayName = "  Ada  " });

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = (await response.Content.ReadFromJsonAsync<AuthBody>())!;
        Assert.Equal(email, body.User.Email);
        Assert.Equal("Ada", body.User.DisplayName);
        Assert.Equal("shopper", body.User.Role);
        Assert.Equal(900, body.ExpiresIn);
        Assert.Equal(43, body.RefreshToken.Length);
        Assert.Equal(3, body.AccessToken.Split('.').Length);
    }

    [Fact]
    public async Task Register_with_a_taken_email_in_any_case_is_a_conflict_and_adds_nobody()
    {
        var first = await app.RegisterShopperAsync();
        var before = await UserCountAsync();
        using var client = app.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/register",
            new { email = first.User.Email.ToUpperInvariant(), password = "another password", displayName = "Twin" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Conflict, "duplicate-email");
        Assert.Equal(before, await UserCountAsync());
    }

    [Theory]
    [InlineData("not-an-email", "long enough pw", "Name", "email")]
    [InlineData("a@b", "long enough pw", "Name", "email")]
    [InlineData("Name <a@example.com>", "long enough pw", "Name", "email")]
    [InlineData("ok@example.com", "short", "Name", "password")]
    [InlineData("ok@example.com", "long enough pw", "", "displayName")]
    [InlineData(null, null, null, "email")]
    public async Task Register_refuses_invalid_fields_and_adds_nobody(string? email, string? password, string? displayName, string field)
    {
        var before = await UserCountAsync();
        using var client = app.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password, displayName });

        await ProblemAssert.IsValidationProblemAsync(response, field);
        Assert.Equal(before, await UserCountAsync());
    }

    [Theory]
    [InlineData("{\"email\":")]
    [InlineData("[]")]
    [InlineData("{\"email\": 42, \"password\": \"x\"}")]
    [InlineData("")]
    public async Task Malformed_json_is_a_400_problem(string json)
    {
        using var client = app.Anonymous();
        using var content = new StringContent(json, Encoding.UTF8, "application/json");

        var response = await client.PostAsync("/api/v1/auth/register", content);

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.BadRequest, "malformed-request");
    }

    [Fact]
    public async Task Login_returns_tokens_for_the_right_password()
    {
        var shopper = await app.RegisterShopperAsync();

        var login = await app.LoginAsync(shopper.User.Email, "correct horse battery");

        Assert.Equal(shopper.User.Id, login.User.Id);
        Assert.NotEqual(shopper.RefreshToken, login.RefreshToken);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Login_with_a_wrong_password_or_unknown_email_is_401(bool knownEmail)
    {
        var email = knownEmail ? (await app.RegisterShopperAsync()).User.Email : "nobody@example.com";
        using var client = app.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password = "wrong password" });

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-credentials");
    }

    [Fact]
    public async Task Login_without_fields_is_a_validation_problem()
    {
        using var client = app.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { });
        await ProblemAssert.IsValidationProblemAsync(response, "email", "password");
    }

    [Fact]
    public async Task Refresh_rotates_the_pair_and_the_new_access_token_works()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        var response = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rotated = (await response.Content.ReadFromJsonAsync<AuthBody>())!;
        Assert.NotEqual(shopper.RefreshToken, rotated.RefreshToken);
        using var authed = app.WithToken(rotated.AccessToken);
        var me = await authed.GetFromJsonAsync<UserBody>("/api/v1/auth/me");
        Assert.Equal(shopper.User.Id, me!.Id);
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_family()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        var first = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });
        var rotated = (await first.Content.ReadFromJsonAsync<AuthBody>())!;

        var reuse = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });
        await ProblemAssert.IsProblemAsync(reuse, HttpStatusCode.Unauthorized, "refresh-token-reused");

        // The thief's reuse also signs out the legitimate holder of the newest token.
        var newest = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = rotated.RefreshToken });
        await ProblemAssert.IsProblemAsync(newest, HttpStatusCode.Unauthorized, "invalid-refresh-token");
    }

    [Fact]
    public async Task Concurrent_uses_of_one_refresh_token_rotate_at_most_once()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken })));

        Assert.True(answers.Count(a => a.StatusCode == HttpStatusCode.OK) <= 1);
        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("")]
    [InlineData("short")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Refresh_with_a_missing_or_unknown_token_is_refused(string token)
    {
        using var client = app.Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = token });
        if (token.Length == 0)
        {
            await ProblemAssert.IsValidationProblemAsync(response, "refreshToken");
        }
        else
        {
            await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-refresh-token");
        }
    }

    [Fact]
    public async Task Logout_revokes_the_refresh_token()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        var logout = await client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken = shopper.RefreshToken });
        Assert.Equal(HttpStatusCode.NoContent, logout.StatusCode);

        var refresh = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });
        await ProblemAssert.IsProblemAsync(refresh, HttpStatusCode.Unauthorized, "invalid-refresh-token");
    }

    [Fact]
    public async Task Me_returns_the_signed_in_user()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.WithToken(shopper.AccessToken);

        var me = await client.GetFromJsonAsync<UserBody>("/api/v1/auth/me");

        Assert.Equal(shopper.User, me);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not.a.jwt")]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.")]
    public async Task Me_without_a_valid_token_is_401(string? token)
    {
        using var client = token is null ? app.Anonymous() : app.WithToken(token);
        var response = await client.GetAsync("/api/v1/auth/me");
        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_401()
    {
        var foreign = new FlashSale.Host.Infrastructure.Security.AccessTokenIssuer(
            Microsoft.Extensions.Options.Options.Create(new FlashSale.Host.Infrastructure.Security.JwtOptions { SigningKey = new string('k', 64) }),
            TimeProvider.System);
        using var client = app.WithToken(foreign.Issue(Guid.NewGuid(), "x@example.com", "X", "admin"));

        var response = await client.GetAsync("/api/v1/auth/me");

        await ProblemAssert.IsProblemAsync(response, HttpStatusCode.Unauthorized, "unauthorized");
    }
}
