using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Text;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using FlashSale.Tests.WaitingRoom;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlashSale.Tests.Realtime;

[Trait("Category", TestCategory.Integration)]
public sealed class LiveUpdateTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    [Fact]
    public async Task A_subscriber_gets_the_current_stock_at_once_and_every_change_after_a_purchase()
    {
        var sale = await app.CreateSaleAsync(stock: 10, perUserLimit: 5, waitingRoom: false);
        var watcher = await app.RegisterShopperAsync();
        using var socket = await app.OpenSocketAsync(watcher.AccessToken, viaTicket: true);
        await socket.SubscribeAsync(sale);
        var initial = await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the initial stock frame");
        Assert.Equal(10, initial.GetProperty("remainingStock").GetInt32());
        Assert.Equal("active", initial.GetProperty("status").GetString());

        var buyer = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        var sentBefore = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, buyer.AccessToken, 3)).StatusCode);

        var after = await socket.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 7,
            TimeSpan.FromSeconds(2), "the stock frame of the purchase");
        Assert.InRange(after.GetProperty("sentAt").GetInt64(), sentBefore - 1_000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 1_000);
    }

    [Fact]
    public async Task Sold_out_tells_everyone_in_line_at_once_with_a_sale_frame_and_a_queue_frame()
    {
        var sale = await app.CreateSaleAsync(stock: 1);
        var shoppers = await app.BulkShoppersAsync(3);
        using var client = app.Anonymous();
        foreach (var shopper in shoppers)
        {
            await client.JoinOkAsync(sale, shopper.AccessToken);
        }
        using var waiting = await app.OpenSocketAsync(shoppers[2].AccessToken);
        await waiting.SubscribeAsync(sale);
        await waiting.WaitForFrameAsync(f => f.Is("queue", sale), what: "the initial queue frame");
        await client.WaitAdmittedAsync(sale, shoppers[0].AccessToken);

        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, shoppers[0].AccessToken)).StatusCode);

        await waiting.WaitForFrameAsync(f => f.Is("sale", sale) && f.GetProperty("status").GetString() == "sold_out", TimeSpan.FromSeconds(2), "the sold-out sale frame");
        await waiting.WaitForFrameAsync(f => f.Is("queue", sale), TimeSpan.FromSeconds(2), "the queue frame after sold out");
    }

    [Fact]
    public async Task An_admin_price_change_reaches_subscribers_as_a_price_frame()
    {
        var sale = await app.CreateSaleAsync(stock: 10, waitingRoom: false, salePrice: 20m);
        var watcher = await app.RegisterShopperAsync();
        using var socket = await app.OpenSocketAsync(watcher.AccessToken);
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the initial stock frame");

        using var admin = await app.AdminAsync();
        (await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{sale}", new { salePrice = 12.5m })).EnsureSuccessStatusCode();

        var price = await socket.WaitForFrameAsync(f => f.Is("price", sale), what: "the price frame");
        Assert.Equal(12.5m, price.GetProperty("salePrice").GetDecimal());
    }

    [Fact]
    public async Task Bad_frames_get_error_frames_and_the_socket_keeps_serving()
    {
        var sale = await app.CreateSaleAsync(stock: 10, waitingRoom: false);
        var watcher = await app.RegisterShopperAsync();
        using var socket = await app.OpenSocketAsync(watcher.AccessToken);

        async Task<string> ErrorFor(string text)
        {
            await socket.SendTextAsync(text);
            var error = await socket.WaitForFrameAsync(f => f.Is("error"), what: $"an error frame for {text}");
            Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
            return error.GetProperty("code").GetString()!;
        }

        Assert.Equal("malformed-frame", await ErrorFor("{not json"));
        Assert.Equal("unknown-type", await ErrorFor("""{"type":"dance","saleId":"x"}"""));
        Assert.Equal("invalid-sale-id", await ErrorFor("""{"type":"subscribe","saleId":"nope"}"""));
        Assert.Equal("unknown-sale", await ErrorFor($$"""{"type":"subscribe","saleId":"{{Guid.NewGuid()}}"}"""));

        // Still serving: a good subscription works after the bad frames.
        await socket.SubscribeAsync(sale);
        await socket.WaitForFrameAsync(f => f.Is("stock", sale), what: "the stock frame after bad frames");
    }

    [Fact]
    public async Task Too_many_subscriptions_get_an_error_frame()
    {
        var watcher = await app.RegisterShopperAsync();
        using var socket = await app.OpenSocketAsync(watcher.AccessToken);
        var sales = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            sales.Add(await app.CreateSaleAsync(stock: 5, waitingRoom: false));
        }
        foreach (var sale in sales)
        {
            await socket.SubscribeAsync(sale); // the fixture allows three per socket
        }

        var error = await socket.WaitForFrameAsync(f => f.Is("error"), what: "the too-many-subscriptions error");
        Assert.Equal("too-many-subscriptions", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_closes_the_socket_with_1009_and_other_sockets_keep_their_updates()
    {
        var sale = await app.CreateSaleAsync(stock: 10, waitingRoom: false);
        var watcher = await app.RegisterShopperAsync();
        using var bystander = await app.OpenSocketAsync(watcher.AccessToken);
        await bystander.SubscribeAsync(sale);
        await bystander.WaitForFrameAsync(f => f.Is("stock", sale), what: "the bystander's stock frame");
        using var socket = await app.OpenSocketAsync(watcher.AccessToken);

        await socket.SendTextAsync("{\"type\":\"subscribe\",\"pad\":\"" + new string('x', 5_000) + "\"}");

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Null(await socket.ReceiveFrameAsync(cts.Token));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, socket.CloseStatus);
        var buyer = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, buyer.AccessToken)).StatusCode);
        await bystander.WaitForFrameAsync(f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 9, what: "the bystander's next stock frame");
    }

    [Fact]
    public async Task Too_many_bad_frames_close_the_socket_with_a_policy_violation()
    {
        var watcher = await app.RegisterShopperAsync();
        using var socket = await app.OpenSocketAsync(watcher.AccessToken);
        for (var i = 0; i < 5; i++)
        {
            await socket.SendTextAsync("[]");
        }
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (await socket.ReceiveFrameAsync(cts.Token) is not null)
        {
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, socket.CloseStatus);
    }

    [Fact]
    public async Task The_upgrade_without_a_token_or_with_an_expired_or_forged_one_is_refused_401_problem()
    {
        using var client = app.Anonymous();
        foreach (var token in new string?[] { null, Token(DateTime.UtcNow.AddMinutes(-2), FlashSaleApp.SigningKey), Token(DateTime.UtcNow.AddMinutes(5), new string('k', 48)) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/ws");
            if (token is not null)
            {
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }
            using var response = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("unauthorized", await response.ProblemSlugAsync());
        }
        await Assert.ThrowsAnyAsync<Exception>(() => app.OpenSocketAsync(Token(DateTime.UtcNow.AddMinutes(-2), FlashSaleApp.SigningKey)));
    }

    [Fact]
    public async Task A_token_in_the_query_string_is_accepted_nowhere_and_a_ticket_opens_the_socket()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        using var response = await client.GetAsync($"/api/v1/auth/me?access_token={Uri.EscapeDataString(shopper.AccessToken)}");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var upgrade = await client.GetAsync($"/ws?access_token={Uri.EscapeDataString(shopper.AccessToken)}");
        Assert.Equal(HttpStatusCode.Unauthorized, upgrade.StatusCode);
        using var socket = await app.OpenSocketAsync(shopper.AccessToken, viaTicket: true);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task A_socket_whose_token_expires_is_closed_with_4401()
    {
        var shopper = await app.RegisterShopperAsync();
        var token = app.Services.GetRequiredService<AccessTokenIssuer>().Issue(shopper.User.Id, shopper.User.Email, "Shopper", "shopper", TimeSpan.FromSeconds(1));
        using var socket = await app.OpenSocketAsync(token);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (await socket.ReceiveFrameAsync(cts.Token) is not null)
        {
        }
        Assert.Equal(4401, (int)socket.CloseStatus!.Value);
    }

    [Fact]
    public async Task A_plain_GET_of_ws_with_a_token_is_a_400_problem()
    {
        var shopper = await app.RegisterShopperAsync();
        using var client = app.WithToken(shopper.AccessToken);
        using var response = await client.GetAsync("/ws");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Two_thousand_sockets_on_one_sale_all_receive_a_stock_change_and_a_socket_that_never_reads_does_not_delay_them()
    {
        var sale = await app.CreateSaleAsync(stock: 100, waitingRoom: false);
        var watcher = await app.RegisterShopperAsync();
        var sockets = new WebSocket[2_000];
        for (var i = 0; i < sockets.Length; i += 100)
        {
            var batch = await Task.WhenAll(Enumerable.Range(0, 100).Select(_ => app.OpenSocketAsync(watcher.AccessToken)));
            batch.CopyTo(sockets, i);
        }
        // The slow one subscribes first and never reads a frame.
        using var slow = await app.OpenSocketAsync(watcher.AccessToken);
        await slow.SubscribeAsync(sale);
        await Task.WhenAll(sockets.Select(s => s.SubscribeAsync(sale)));
        await Task.WhenAll(sockets.Select(s => s.WaitForFrameAsync(f => f.Is("stock", sale), TimeSpan.FromSeconds(20), "the initial stock frame")));

        var buyer = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        var clock = Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.Created, (await client.BuyAsync(sale, buyer.AccessToken)).StatusCode);
        await Task.WhenAll(sockets.Select(s => s.WaitForFrameAsync(
            f => f.Is("stock", sale) && f.GetProperty("remainingStock").GetInt32() == 99, TimeSpan.FromSeconds(10), "the stock change")));
        var elapsed = clock.Elapsed;

        Assert.True(elapsed < TimeSpan.FromSeconds(3), $"2,000 sockets took {elapsed.TotalMilliseconds:0} ms");
        foreach (var socket in sockets)
        {
            socket.Abort();
            socket.Dispose();
        }
    }

    private static string Token(DateTime expires, string key)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = "flashsale",
            Audience = "flashsale",
            IssuedAt = expires.AddMinutes(-10),
            NotBefore = expires.AddMinutes(-10),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(key)), SecurityAlgorithms.HmacSha256),
            Subject = new ClaimsIdentity([new Claim(JwtRegisteredClaimNames.Sub, Guid.NewGuid().ToString()), new Claim("role", "shopper")]),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
