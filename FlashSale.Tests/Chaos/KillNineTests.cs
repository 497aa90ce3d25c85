using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using FlashSale.Tests.Infrastructure;
using StackExchange.Redis;
using Xunit.Abstractions;

namespace FlashSale.Tests.Chaos;

/// <summary>
/// Two real host processes share PostgreSQL and Redis; one is killed with SIGKILL in the middle of a purchase storm
/// and started again. Nothing confirmed may be lost and nothing may be oversold: afterwards PostgreSQL holds exactly
/// the orders Redis accepted, and every 201 any shopper saw is among them.
/// </summary>
[Trait("Category", TestCategory.Chaos)]
[Collection(ChaosTests.Name)]
public sealed class KillNineTests(TestDatabase database, ITestOutputHelper output) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task Killing_a_host_mid_storm_and_restarting_it_loses_no_order_and_oversells_nothing()
    {
        var settings = new Dictionary<string, string> { ["Redis__ReconcileInterval"] = "00:00:01" };
        await using var first = new HostProcess(database, settings);
        await using var second = new HostProcess(database, settings);
        await first.RunVerbAsync("seed");
        await Task.WhenAll(first.StartAsync(), second.StartAsync());

        using var setup = new HttpClient { BaseAddress = first.BaseAddress };
        var login = await setup.PostAsJsonAsync("/api/v1/auth/login", new { email = FlashSaleApp.AdminEmail, password = FlashSaleApp.AdminPassword });
        setup.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", (await login.Content.ReadFromJsonAsync<AuthBody>())!.AccessToken);
        var productId = (await (await setup.PostAsJsonAsync("/api/v1/products", new { name = "Chaos", description = "", basePrice = 10m }))
            .Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        const int Stock = 200_000; // never sells out within the storm: the kill lands while orders are still flowing
        var saleId = (await (await setup.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId, salePrice = 5m, totalStock = Stock, perUserLimit = 1_000, startsAt = DateTimeOffset.UtcNow, endsAt = DateTimeOffset.UtcNow.AddHours(1),
        })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        var shoppers = (await (await setup.PostAsJsonAsync("/api/v1/load-testing/shoppers", new { count = 300, prefix = "chaos" }))
            .Content.ReadFromJsonAsync<BulkShoppers>())!.Shoppers;

        using var toFirst = new HttpClient { BaseAddress = first.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        using var toSecond = new HttpClient { BaseAddress = second.BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var confirmed = new ConcurrentBag<Guid>();
        var failures = 0;
        using var storm = new CancellationTokenSource(TimeSpan.FromSeconds(7));
        var workers = Enumerable.Range(0, 48).Select(worker => Task.Run(async () =>
        {
            var i = 0;
            while (!storm.IsCancellationRequested)
            {
                var shopper = shoppers[(worker * 7919 + i) % shoppers.Length];
                var client = (worker + i) % 2 == 0 ? toFirst : toSecond;
                using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders") { Content = JsonContent.Create(new { flashSaleId = saleId, quantity = 1 }) };
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", shopper.AccessToken);
                request.Headers.Add("Idempotency-Key", $"w{worker}-{i++}");
                try
                {
                    using var response = await client.SendAsync(request, CancellationToken.None);
                    if (response.StatusCode == HttpStatusCode.Created)
                    {
                        confirmed.Add((await response.Content.ReadFromJsonAsync<JsonElement>(CancellationToken.None)).GetProperty("id").GetGuid());
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    Interlocked.Increment(ref failures); // the killed host's connections
                    await Task.Delay(20, CancellationToken.None);
                }
            }
        })).ToArray();

        await Task.Delay(2_000);
        var beforeKill = confirmed.Count;
        second.Kill();
        await Task.Delay(1_000);
        await second.StartAsync();
        await Task.WhenAll(workers);

        // Give the reconciler (every 1 s, entries older than 2 s) time to replay what the killed host left behind.
        await using var connection = await database.DataSource.OpenConnectionAsync();
        var redis = await ConnectionMultiplexer.ConnectAsync(TestEnvironment.Redis);
        var remainingKey = $"{{sale:{saleId}}}:stock";
        int persisted = 0, soldInRedis = -1;
        for (var attempt = 0; attempt < 50; attempt++)
        {
            soldInRedis = Stock - (int)await redis.GetDatabase().StringGetAsync(remainingKey);
            persisted = await connection.ExecuteScalarAsync<int>("select coalesce(sum(quantity), 0)::int from orders where flash_sale_id = @saleId", new { saleId });
            if (persisted == soldInRedis)
            {
                break;
            }
            await Task.Delay(200);
        }

        output.WriteLine($"confirmed {confirmed.Count} ({beforeKill} before the kill), failed requests {failures}, sold in Redis {soldInRedis}, in PostgreSQL {persisted}");
        Assert.True(confirmed.Count > 100, $"the storm confirmed only {confirmed.Count} orders");
        Assert.True(beforeKill > 0 && confirmed.Count > beforeKill && persisted < Stock, "the kill did not land mid-storm");
        Assert.True(failures > 0, "the kill did not interrupt any request: the test proved nothing");
        Assert.Equal(soldInRedis, persisted);
        Assert.InRange(persisted, confirmed.Count, Stock);
        var stored = (await connection.QueryAsync<Guid>("select id from orders where flash_sale_id = @saleId", new { saleId })).ToHashSet();
        Assert.All(confirmed, id => Assert.Contains(id, stored));
        await redis.DisposeAsync();
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ChaosTests
{
    public const string Name = "Chaos: real host processes";
}
