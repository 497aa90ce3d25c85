using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json;
using FlashSale.Tests.Chaos;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Telemetry;

/// <summary>
/// The real host process in Production, with every request logged and ASP.NET Core's own categories turned up to
/// Information (what an operator does while chasing a problem during a sale): a storm of sign-ins, refreshes,
/// purchases, payments and socket tickets, then its whole console output is searched for every secret the storm
/// used. The log is JSON, one object per line, and a request's line carries its trace id.
/// </summary>
[Trait("Category", TestCategory.Integration)]
public sealed class LogRedactionTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    private const string ShopperPassword = "correct horse battery staple";
    private const string ApprovedCard = "4242424242424242";
    private const string DeclinedCard = "4000000000000002";

    [Fact]
    public async Task A_storms_production_log_is_json_with_trace_ids_and_holds_no_token_ticket_password_or_card_number()
    {
        await using var host = new HostProcess(database, new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["LoadTesting__AllowInProduction"] = "true",
            ["Logging__LogLevel__Default"] = "Information",
            ["Logging__LogLevel__Microsoft.AspNetCore"] = "Information",
            ["Logging__LogLevel__FlashSale.Requests"] = "Information",
        }) { CaptureOutput = true };
        await host.RunVerbAsync("seed");
        await host.StartAsync();
        var secrets = new ConcurrentBag<string> { FlashSaleApp.AdminPassword, ShopperPassword, ApprovedCard, DeclinedCard };

        using var client = new HttpClient { BaseAddress = host.BaseAddress };
        var admin = await SignInAsync(client, FlashSaleApp.AdminEmail, FlashSaleApp.AdminPassword, secrets);
        var saleId = await CreateSaleAsync(client, admin);
        var email = $"logs-{Guid.NewGuid():N}@example.com";
        (await client.PostAsJsonAsync("/api/v1/auth/register", new { email, password = ShopperPassword, displayName = "Logs" })).EnsureSuccessStatusCode();
        var shopper = await SignInAsync(client, email, ShopperPassword, secrets);
        var refreshed = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = shopper.RefreshToken });
        secrets.Add((await refreshed.Content.ReadFromJsonAsync<AuthBody>())!.RefreshToken);
        using var wrongPassword = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password = ShopperPassword + "x" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrongPassword.StatusCode);

        // The storm: bulk shoppers buy at once; one shopper pays with an approved and a declined card.
        using var bulk = Authorized(admin.AccessToken, "/api/v1/load-testing/shoppers", new { count = 40, prefix = "logs" });
        var shoppers = (await (await client.SendAsync(bulk)).Content.ReadFromJsonAsync<BulkShoppers>())!.Shoppers;
        foreach (var s in shoppers)
        {
            secrets.Add(s.AccessToken);
        }
        var answers = await Task.WhenAll(shoppers.Select(async (s, i) =>
        {
            using var buy = Authorized(s.AccessToken, "/api/v1/orders", new { flashSaleId = saleId, quantity = 1 });
            buy.Headers.Add("Idempotency-Key", $"logs-{i}");
            return (await client.SendAsync(buy)).StatusCode;
        }));
        Assert.Contains(HttpStatusCode.Created, answers);
        foreach (var (key, card) in new[] { ("own-1", DeclinedCard), ("own-2", ApprovedCard) })
        {
            using var buy = Authorized(shopper.AccessToken, "/api/v1/orders", new { flashSaleId = saleId, quantity = 1 });
            buy.Headers.Add("Idempotency-Key", key);
            var orderId = (await (await client.SendAsync(buy)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
            using var pay = Authorized(shopper.AccessToken, $"/api/v1/orders/{orderId}/pay", new { cardNumber = card });
            await client.SendAsync(pay);
        }

        // A socket opened with a ticket (in the query string, where request logs would show it) and a token put in a URL.
        using var ticketRequest = Authorized(shopper.AccessToken, "/api/v1/realtime/ticket", new { });
        var ticket = (await (await client.SendAsync(ticketRequest)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ticket").GetString()!;
        secrets.Add(ticket);
        using (var socket = new ClientWebSocket())
        {
            socket.Options.SetRequestHeader("Origin", host.BaseAddress.GetLeftPart(UriPartial.Authority));
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{host.Port}/ws?ticket={Uri.EscapeDataString(ticket)}"), CancellationToken.None);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        }
        await client.GetAsync($"/api/v1/orders?access_token={Uri.EscapeDataString(shopper.AccessToken)}");

        // The console logger writes from a queue of its own: give it a moment before reading.
        await Task.Delay(TimeSpan.FromSeconds(2));
        var log = host.Output;

        var leaked = secrets.Where(secret => log.Contains(secret, StringComparison.Ordinal)).Select(s => s.Length > 12 ? s[..12] + "…" : s).ToList();
        Assert.True(leaked.Count == 0, "secrets found in the log: " + string.Join(", ", leaked));
        var lines = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.NotEmpty(lines);
        var entries = lines.Select(line => JsonDocument.Parse(line).RootElement).ToList();
        Assert.All(entries, entry => Assert.True(entry.TryGetProperty("Category", out _) && entry.TryGetProperty("Timestamp", out _)));
        var purchaseLine = entries.First(entry => entry.GetProperty("Category").GetString() == "FlashSale.Requests"
            && entry.GetProperty("Message").GetString()!.StartsWith("POST /api/v1/orders answered 201", StringComparison.Ordinal));
        Assert.Contains(purchaseLine.GetProperty("Scopes").EnumerateArray(), scope => scope.ValueKind == JsonValueKind.Object
            && scope.TryGetProperty("TraceId", out var traceId) && traceId.GetString()!.Length == 32);
    }

    private static HttpRequestMessage Authorized(string token, string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task<AuthBody> SignInAsync(HttpClient client, string email, string password, ConcurrentBag<string> secrets)
    {
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<AuthBody>())!;
        secrets.Add(body.AccessToken);
        secrets.Add(body.RefreshToken);
        return body;
    }

    private static async Task<Guid> CreateSaleAsync(HttpClient client, AuthBody admin)
    {
        using var product = Authorized(admin.AccessToken, "/api/v1/products", new { name = "Logs", description = "", basePrice = 10m });
        var productId = (await (await client.SendAsync(product)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var sale = Authorized(admin.AccessToken, "/api/v1/flash-sales", new
        {
            productId, salePrice = 5m, totalStock = 1_000, perUserLimit = 5,
            startsAt = DateTimeOffset.UtcNow.AddSeconds(-1), endsAt = DateTimeOffset.UtcNow.AddHours(1),
        });
        var response = await client.SendAsync(sale);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }
}
