using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Chaos;
using FlashSale.Tests.Infrastructure;

namespace FlashSale.Tests.Notifications;

/// <summary>
/// Issue 16: a host killed (SIGKILL) after an order was reserved but before its email went out sends it after the
/// restart, once. The outbox row committed with the order; the mail server is down until the host is dead, so the
/// only way the email can arrive is the restarted host finding the row.
/// </summary>
[Trait("Category", TestCategory.Chaos)]
[Collection(ChaosTests.Name)]
public sealed class NotificationCrashTests(TestDatabase database) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_host_killed_between_the_reservation_and_its_email_sends_it_after_restart_once()
    {
        await using var sink = new SmtpSink();
        await using var host = new HostProcess(database, new Dictionary<string, string>
        {
            ["Email__Smtp__Host"] = "127.0.0.1",
            ["Email__Smtp__Port"] = sink.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Email__Smtp__Security"] = "None",
            ["Email__From"] = "shop@flashsale.test",
            ["Notify__PollMilliseconds"] = "50",
            ["Notify__RetryDelaySeconds"] = "0.1",
            ["Notify__MaxRetryDelaySeconds"] = "0.2",
            ["Notify__MaxAttempts"] = "100",
        });
        await host.RunVerbAsync("seed");
        await host.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var login = await http.PostAsJsonAsync("/api/v1/auth/login", new { email = FlashSaleApp.AdminEmail, password = FlashSaleApp.AdminPassword });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<AuthBody>())!.AccessToken);
        var productId = (await (await http.PostAsJsonAsync("/api/v1/products", new { name = "Crash", description = "", basePrice = 10m }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var saleId = (await (await http.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId, salePrice = 5m, totalStock = 10, perUserLimit = 1, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddHours(1),
        })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var email = $"crash-{Guid.NewGuid():N}@example.com";
        var shopper = await http.PostAsJsonAsync("/api/v1/auth/register", new { email, password = "correct horse battery", displayName = "Crash" });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await shopper.Content.ReadFromJsonAsync<AuthBody>())!.AccessToken);
        using var buy = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(new { flashSaleId = saleId, quantity = 1 }) };
        buy.Headers.Add("Idempotency-Key", "crash-1");
        var bought = await http.SendAsync(buy);
        Assert.Equal(HttpStatusCode.Created, bought.StatusCode);
        var orderId = (await bought.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // The change is durable and its email not sent: the dispatcher tried and the mail server was not there.
        var clock = Stopwatch.StartNew();
        while (await AttemptsAsync(orderId) < 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the dispatcher never tried");
            await Task.Delay(50);
        }
        host.Kill();
        await sink.StartAsync();
        Assert.Empty(sink.Received);
        await host.StartAsync();

        Assert.Single(await sink.WaitForAsync(email, "reserved", timeout: TimeSpan.FromSeconds(20)));
        await Task.Delay(1_000);
        Assert.Single(sink.For(email));
        await using var connection = await database.DataSource.OpenConnectionAsync();
        Assert.Equal("sent", await connection.ExecuteScalarAsync<string>("select state from notification_outbox where subject_id = @orderId", new { orderId }));
    }

    private async Task<int> AttemptsAsync(Guid orderId)
    {
        await using var connection = await database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int?>("select attempts from notification_outbox where subject_id = @orderId", new { orderId }) ?? 0;
    }
}
