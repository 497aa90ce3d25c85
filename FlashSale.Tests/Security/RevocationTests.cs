using System.Net;
using System.Net.Http.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.WaitingRoom;

namespace FlashSale.Tests.Security;

public sealed class RevocationApp : DefaultLimitsApp
{
    public RevocationApp() => Settings["Jwt:RevocationCheckSeconds"] = "1";
}

/// <summary>
/// Issue 11 item 7: a per-user security stamp in the access token; logout-all, a password change and a refresh-token
/// reuse bump it, so older access tokens fail on admin routes, pay and the socket ticket, and open sockets close.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class RevocationTests(RevocationApp app) : IClassFixture<RevocationApp>
{
    /// <summary>Paying an order that does not exist: 404 with a live session, 401 with a revoked one.</summary>
    private async Task<HttpStatusCode> PayStatusAsync(string token)
    {
        using var client = app.WithToken(token);
        using var response = await client.PostAsJsonAsync($"/api/v1/orders/{Guid.NewGuid()}/pay", new { cardNumber = "4242424242424242" });
        return response.StatusCode;
    }

    [Fact]
    public async Task Logout_everywhere_kills_older_access_tokens_on_pay_and_tickets_and_closes_open_sockets()
    {
        var shopper = await app.RegisterShopperAsync();
        var second = await app.LoginAsync(shopper.User.Email, "correct horse battery");
        using var socket = await app.OpenSocketAsync(shopper.AccessToken, viaTicket: true);
        Assert.Equal(HttpStatusCode.NotFound, await PayStatusAsync(shopper.AccessToken));

        using (var client = app.WithToken(second.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/auth/logout-all", null)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await PayStatusAsync(shopper.AccessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, await PayStatusAsync(second.AccessToken));
        using (var client = app.WithToken(shopper.AccessToken))
        {
            await ProblemAssert.IsProblemAsync(await client.PostAsync("/api/v1/realtime/ticket", null), HttpStatusCode.Unauthorized, "unauthorized");
        }
        using (var anonymous = app.Anonymous())
        {
            var refresh = await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });
            await ProblemAssert.IsProblemAsync(refresh, HttpStatusCode.Unauthorized, "invalid-refresh-token");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (await socket.ReceiveFrameAsync(cts.Token) is not null)
        {
        }
        Assert.Equal(4403, (int)socket.CloseStatus!.Value);

        var fresh = await app.LoginAsync(shopper.User.Email, "correct horse battery");
        Assert.Equal(HttpStatusCode.NotFound, await PayStatusAsync(fresh.AccessToken));
    }

    [Fact]
    public async Task An_admin_token_from_before_logout_everywhere_is_refused_on_admin_routes()
    {
        var admin = await app.LoginAsync(FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword);
        using var before = app.WithToken(admin.AccessToken);
        Assert.Equal(HttpStatusCode.NotFound, (await before.GetAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/audit")).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await before.PostAsync("/api/v1/auth/logout-all", null)).StatusCode);

        var product = await before.PostAsJsonAsync("/api/v1/products", new { name = "Stolen", description = "", basePrice = 1m });
        await ProblemAssert.IsProblemAsync(product, HttpStatusCode.Unauthorized, "unauthorized");
        using var after = await app.AdminAsync();
        Assert.Equal(HttpStatusCode.Created, (await after.PostAsJsonAsync("/api/v1/products", new { name = "Mine", description = "", basePrice = 1m })).StatusCode);
    }

    [Fact]
    public async Task A_password_change_signs_out_every_other_session_and_answers_fresh_tokens()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.WithToken(shopper.AccessToken);

        var wrong = await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "not it at all", newPassword = "a brand new secret" });
        await ProblemAssert.IsValidationProblemAsync(wrong, "currentPassword");
        var changed = await client.PostAsJsonAsync("/api/v1/auth/password", new { currentPassword = "correct horse battery", newPassword = "a brand new secret" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var fresh = (await changed.Content.ReadFromJsonAsync<AuthBody>())!;

        Assert.Equal(HttpStatusCode.Unauthorized, await PayStatusAsync(shopper.AccessToken));
        Assert.Equal(HttpStatusCode.NotFound, await PayStatusAsync(fresh.AccessToken));
        using var anonymous = app.Anonymous();
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken }),
            HttpStatusCode.Unauthorized, "invalid-refresh-token");
        await ProblemAssert.IsProblemAsync(await anonymous.PostAsJsonAsync("/api/v1/auth/login", new { email = shopper.User.Email, password = "correct horse battery" }),
            HttpStatusCode.Unauthorized, "invalid-credentials");
        await app.LoginAsync(shopper.User.Email, "a brand new secret");
    }

    [Fact]
    public async Task A_reused_refresh_token_also_kills_the_access_tokens_of_the_user()
    {
        var shopper = await app.RegisterShopperAsync();
        using var anonymous = app.Anonymous();
        var rotated = (await (await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken })).Content.ReadFromJsonAsync<AuthBody>())!;
        Assert.Equal(HttpStatusCode.NotFound, await PayStatusAsync(rotated.AccessToken));

        await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken }); // the thief's reuse

        Assert.Equal(HttpStatusCode.Unauthorized, await PayStatusAsync(rotated.AccessToken));
    }

    [Fact]
    public async Task A_refresh_family_ends_at_its_absolute_lifetime_however_often_it_rotates()
    {
        var shopper = await app.RegisterShopperAsync();
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            var family = await connection.QuerySingleAsync<(DateTime Created, DateTime Ends)>(
                "select created_at, family_expires_at from refresh_tokens where user_id = @Id", new { shopper.User.Id });
            Assert.Equal(30, Math.Round((family.Ends - family.Created).TotalDays));
            await connection.ExecuteAsync("update refresh_tokens set family_expires_at = now() - interval '1 second' where user_id = @Id", new { shopper.User.Id });
        }
        using var anonymous = app.Anonymous();

        var refresh = await anonymous.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });

        await ProblemAssert.IsProblemAsync(refresh, HttpStatusCode.Unauthorized, "invalid-refresh-token");
    }
}
