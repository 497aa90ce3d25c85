using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.WaitingRoom;

/// <summary>A host whose admission loop and live publisher tick fast, so tests wait milliseconds, not seconds.</summary>
public class FastLiveApp : FlashSaleApp
{
    public FastLiveApp() : this(null) { }

    protected FastLiveApp(TestDatabase? shared) : base(shared)
    {
        Settings["WaitingRoom:AdmissionTickMilliseconds"] = "20";
        Settings["WaitingRoom:CatalogRefreshSeconds"] = "0.2";
        Settings["WaitingRoom:LeaseMilliseconds"] = "1000";
        Settings["Realtime:CoalesceMilliseconds"] = "20";
        Settings["Realtime:RefreshMilliseconds"] = "200";
        Settings["Realtime:MaxSubscriptionsPerSocket"] = "3";
        Settings["Realtime:MaxErrorsPerSocket"] = "5";
    }
}

/// <summary>The second host of a fast pair, on the first one's database.</summary>
public sealed class SecondFastLiveApp(TestDatabase shared) : FastLiveApp(shared);

/// <summary>Two fast hosts on one PostgreSQL database and one Redis.</summary>
public sealed class TwoFastHosts : IAsyncLifetime
{
    public FastLiveApp First { get; } = new();

    public FastLiveApp Second { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await First.InitializeAsync();
        Second = new SecondFastLiveApp(First.Database);
        await Second.InitializeAsync();
    }

    public async Task DisposeAsync()
    {
        await ((IAsyncLifetime)Second).DisposeAsync();
        await ((IAsyncLifetime)First).DisposeAsync();
    }
}

public sealed record QueueBody(long Ticket, long Position, long AdmittedThrough, bool Admitted, DateTime? AdmittedUntil, int EtaSeconds,
    int? PollAfterMs, int RatePerSecond, int AdmissionWindowSeconds, bool Paused = false);

public static class WaitingRoomKit
{
    /// <summary>Creates a product and a waiting-room sale (or a plain one) through the admin API.</summary>
    public static async Task<Guid> CreateSaleAsync(this FlashSaleApp app, int stock, int perUserLimit = 1, bool waitingRoom = true,
        int rate = 1_000, int window = 60, DateTimeOffset? startsAt = null, decimal salePrice = 10m)
    {
        using var admin = await app.AdminAsync();
        var product = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Queue product", description = "", basePrice = 100m });
        product.EnsureSuccessStatusCode();
        var productId = (await product.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var now = DateTimeOffset.UtcNow;
        var sale = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId, salePrice, totalStock = stock, perUserLimit, startsAt = startsAt ?? now.AddSeconds(-1), endsAt = now.AddHours(1),
            waitingRoom, admissionRatePerSecond = rate, admissionWindowSeconds = window,
        });
        sale.EnsureSuccessStatusCode();
        return (await sale.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    /// <summary>Asks each join of the sale's line for a proof of work of <paramref name="bits"/> bits (0 = off), through PATCH.</summary>
    public static async Task SetJoinChallengeAsync(this FlashSaleApp app, Guid saleId, int bits)
    {
        using var admin = await app.AdminAsync();
        using var patched = await admin.PatchAsJsonAsync($"/api/v1/flash-sales/{saleId}", new { joinChallengeBits = bits });
        Assert.Equal(System.Net.HttpStatusCode.OK, patched.StatusCode);
    }

    /// <summary>
    /// Holds (<paramref name="paused"/>) or lets go of the sale's admission through the operator's route. A test that
    /// pauses before anyone joins decides when the line starts to move, however long its own setup took.
    /// </summary>
    public static async Task SetLinePausedAsync(this FlashSaleApp app, Guid saleId, bool paused)
    {
        using var admin = await app.AdminAsync();
        using var response = await admin.PostAsync($"/api/v1/flash-sales/{saleId}/queue/{(paused ? "pause" : "resume")}", null);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    public static HttpRequestMessage As(this HttpRequestMessage request, string token)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    public static async Task<HttpResponseMessage> JoinAsync(this HttpClient client, Guid saleId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/flash-sales/{saleId}/queue").As(token);
        return await client.SendAsync(request);
    }

    public static async Task<HttpResponseMessage> PlaceAsync(this HttpClient client, Guid saleId, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/queue/me").As(token);
        return await client.SendAsync(request);
    }

    public static async Task<QueueBody> JoinOkAsync(this HttpClient client, Guid saleId, string token)
    {
        using var response = await client.JoinAsync(saleId, token);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<QueueBody>())!;
    }

    public static async Task<HttpResponseMessage> BuyAsync(this HttpClient client, Guid saleId, string token, int quantity = 1)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { flashSaleId = saleId, quantity }),
        }.As(token);
        request.Headers.TryAddWithoutValidation("Idempotency-Key", Guid.NewGuid().ToString("N"));
        return await client.SendAsync(request);
    }

    /// <summary>Polls queue/me until the shopper is admitted (or fails after <paramref name="timeout"/>).</summary>
    public static async Task<QueueBody> WaitAdmittedAsync(this HttpClient client, Guid saleId, string token, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.PlaceAsync(saleId, token);
            if (response.IsSuccessStatusCode && await response.Content.ReadFromJsonAsync<QueueBody>() is { Admitted: true } body)
            {
                return body;
            }
            Assert.True(clock.Elapsed < (timeout ?? TimeSpan.FromSeconds(5)), "the shopper was not admitted in time");
            await Task.Delay(10);
        }
    }

    // ---- WebSockets ---------------------------------------------------------------------------

    /// <summary>Opens /ws with the token in the Authorization header, or the way the page does: with a one-use ticket.</summary>
    public static async Task<WebSocket> OpenSocketAsync(this FlashSaleApp app, string token, bool viaTicket = false)
    {
        var client = app.Server.CreateWebSocketClient();
        var uri = new Uri("ws://localhost/ws");
        if (viaTicket)
        {
            uri = new Uri($"ws://localhost/ws?ticket={Uri.EscapeDataString(await app.SocketTicketAsync(token))}");
        }
        else
        {
            client.ConfigureRequest = request => request.Headers.Authorization = "Bearer " + token;
        }
        return await client.ConnectAsync(uri, CancellationToken.None);
    }

    /// <summary>A one-use socket ticket from POST /api/v1/realtime/ticket.</summary>
    public static async Task<string> SocketTicketAsync(this FlashSaleApp app, string token)
    {
        using var http = app.WithToken(token);
        using var response = await http.PostAsync("/api/v1/realtime/ticket", null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("ticket").GetString()!;
    }

    public static Task SendTextAsync(this WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static Task SubscribeAsync(this WebSocket socket, Guid saleId) =>
        socket.SendTextAsync($$"""{"type":"subscribe","saleId":"{{saleId}}"}""");

    /// <summary>The next text frame as JSON, or null when the socket closed.</summary>
    public static async Task<JsonElement?> ReceiveFrameAsync(this WebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        var length = 0;
        while (true)
        {
            var result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            length += result.Count;
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(buffer.AsMemory(0, length)).RootElement.Clone();
            }
        }
    }

    /// <summary>Reads frames until one matches; fails after <paramref name="timeout"/> or when the socket closes.</summary>
    public static async Task<JsonElement> WaitForFrameAsync(this WebSocket socket, Func<JsonElement, bool> match, TimeSpan? timeout = null,
        string what = "the expected frame")
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                var frame = await socket.ReceiveFrameAsync(cts.Token);
                Assert.True(frame is not null, $"the socket closed before {what}");
                if (match(frame.Value))
                {
                    return frame.Value;
                }
            }
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"no {what} in time");
            throw;
        }
    }

    public static bool Is(this JsonElement frame, string type, Guid? saleId = null) =>
        frame.GetProperty("type").GetString() == type
        && (saleId is null || (frame.TryGetProperty("saleId", out var id) && id.GetGuid() == saleId));
}
