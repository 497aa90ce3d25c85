using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.WaitingRoom;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace FlashSale.Tests.WaitingRoom;

public sealed record ReceiptBody(int Index, long Ticket, int Entrants, string ListDigest, string Verify);

public sealed record PrequeueBody(long Ticket, long Position, bool Admitted, int EtaSeconds, bool Prequeue, long? Entrants, ReceiptBody? DrawReceipt);

public sealed record FairnessBody(string Seed, string SeedHash, int Entrants, string ListDigest, DateTime DrawnAt, string Algorithm, ReceiptBody? Receipt);

/// <summary>Two hosts at the start of a pre-queue sale: only the holder of the line's lease draws.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class TwoHostDrawTests(TwoFastHosts hosts) : IClassFixture<TwoFastHosts>
{
    [Fact]
    public async Task Both_hosts_reach_the_start_and_exactly_one_draws()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(10);
        var (sale, _) = await PrequeueDrawTests.CreatePrequeueSaleAsync(hosts.First, startsAt, prequeueSeconds: 3_600);
        var shoppers = await hosts.First.BulkShoppersAsync(50);
        using (var first = hosts.First.Anonymous())
        using (var second = hosts.Second.Anonymous())
        {
            for (var i = 0; i < shoppers.Count; i++)
            {
                Assert.True((await PrequeueDrawTests.JoinAsync(i % 2 == 0 ? first : second, sale, shoppers[i].AccessToken)).Prequeue);
            }
        }
        // Both admission loops step the upcoming sale; one of them holds its lease.
        var clock = new FakeTimeProvider(startsAt);
        var draws = await Task.WhenAll(PrequeueDrawTests.DrawAsync(hosts.First, sale, clock), PrequeueDrawTests.DrawAsync(hosts.Second, sale, clock));

        Assert.Equal(1, draws.Count(d => d));
        var holder = (string?)await hosts.First.Services.GetRequiredService<StackExchange.Redis.IConnectionMultiplexer>().GetDatabase()
            .StringGetAsync(RedisSaleKeys.For(sale).Lease);
        Assert.Equal((draws[0] ? hosts.First : hosts.Second).Services.GetRequiredService<AdmissionLoop>().Owner, holder);
        Assert.False(await PrequeueDrawTests.DrawAsync(hosts.First, sale, clock));
        Assert.False(await PrequeueDrawTests.DrawAsync(hosts.Second, sale, clock));
        using var client = hosts.Second.Anonymous();
        var tickets = new List<long>();
        foreach (var shopper in shoppers)
        {
            using var me = await client.PlaceAsync(sale, shopper.AccessToken);
            tickets.Add((await me.Content.ReadFromJsonAsync<PrequeueBody>())!.Ticket);
        }
        Assert.Equal(Enumerable.Range(1, 50).Select(t => (long)t), tickets.Order());
    }
}

/// <summary>The pre-queue and its verifiable draw (issue 13, item 1).</summary>
[Trait("Category", TestCategory.Integration)]
public sealed partial class PrequeueDrawTests(FastLiveApp app) : IClassFixture<FastLiveApp>
{
    [Fact]
    public async Task A_thousand_entrants_are_drawn_in_an_order_anyone_recounts_from_the_published_seed_and_later_joiners_follow_FIFO()
    {
        var startsAt = DateTimeOffset.UtcNow.AddMinutes(10);
        var (sale, seedHash) = await CreatePrequeueSaleAsync(app, startsAt, prequeueSeconds: 3_600);
        var shoppers = await app.BulkShoppersAsync(1_020);
        using var client = app.Anonymous();

        using (var early = await client.GetAsync($"/api/v1/flash-sales/{sale}/fairness"))
        {
            await ProblemAssert.IsProblemAsync(early, HttpStatusCode.Conflict, "draw-not-done");
        }
        // The entrants join in a known order, one after the other.
        for (var i = 0; i < 1_000; i++)
        {
            var entry = await JoinAsync(client, sale, shoppers[i].AccessToken);
            Assert.True(entry.Prequeue);
            Assert.Equal(0, entry.Ticket);
            Assert.Equal(i + 1, entry.Entrants);
        }
        Assert.True((await JoinAsync(client, sale, shoppers[7].AccessToken)).Prequeue, "joining again keeps the entry");

        // The start comes by the host's clock: the lease holder draws.
        var clock = new FakeTimeProvider(startsAt.AddMilliseconds(-1));
        Assert.False(await DrawAsync(app, sale, clock), "nothing is drawn before the start");
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(await DrawAsync(app, sale, clock));

        // Later joiners: first come, first served, after every entrant.
        for (var i = 1_000; i < 1_020; i++)
        {
            Assert.Equal(i + 1, (await JoinAsync(client, sale, shoppers[i].AccessToken)).Ticket);
        }

        var fairness = await client.GetFromJsonAsync<FairnessBody>($"/api/v1/flash-sales/{sale}/fairness");
        Assert.NotNull(fairness);
        Assert.Equal(seedHash, fairness.SeedHash);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Convert.FromHexString(fairness.Seed))), fairness.SeedHash);
        Assert.Equal(1_000, fairness.Entrants);
        Assert.Null(fairness.Receipt);

        // A recount from the published seed, written here from the documented algorithm (not the host's code).
        var sorted = shoppers.Take(1_000).Select(s => s.Id.ToString("D", CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', sorted)))), fairness.ListDigest);
        var p = Enumerable.Range(0, 1_000).ToArray();
        for (var i = 999; i >= 1; i--)
        {
            var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{fairness.Seed}:{i.ToString(CultureInfo.InvariantCulture)}"));
            var j = (int)(System.Buffers.Binary.BinaryPrimitives.ReadUInt64BigEndian(hash) % (ulong)(i + 1));
            (p[i], p[j]) = (p[j], p[i]);
        }
        var expected = p.Select(index => sorted[index]).ToArray();

        var drawn = new string[1_000];
        var receipts = new Dictionary<string, ReceiptBody>();
        foreach (var shopper in shoppers.Take(1_000))
        {
            using var me = await client.PlaceAsync(sale, shopper.AccessToken);
            Assert.Equal(HttpStatusCode.OK, me.StatusCode);
            var place = (await me.Content.ReadFromJsonAsync<PrequeueBody>())!;
            Assert.False(place.Prequeue);
            var id = shopper.Id.ToString("D", CultureInfo.InvariantCulture);
            Assert.Null(drawn[place.Ticket - 1]);
            drawn[place.Ticket - 1] = id;
            Assert.NotNull(place.DrawReceipt);
            Assert.Equal(Array.IndexOf(sorted, id), place.DrawReceipt.Index);
            Assert.Equal(fairness.ListDigest, place.DrawReceipt.ListDigest);
            receipts[id] = place.DrawReceipt;
        }
        Assert.Equal(expected, drawn);
        var joinOrder = shoppers.Take(1_000).Select(s => s.Id.ToString("D", CultureInfo.InvariantCulture)).ToArray();
        Assert.NotEqual(joinOrder, drawn);
        Assert.NotEqual(sorted, drawn);

        // A signed-in entrant finds its own receipt on the public answer.
        using (var signedIn = app.WithToken(shoppers[3].AccessToken))
        {
            var own = await signedIn.GetFromJsonAsync<FairnessBody>($"/api/v1/flash-sales/{sale}/fairness");
            Assert.Equal(receipts[shoppers[3].Id.ToString("D", CultureInfo.InvariantCulture)], own!.Receipt);
        }

        // The 10-line script of docs/REALTIME.md gives the same tickets.
        var script = VerifyScript();
        foreach (var id in new[] { drawn[0], drawn[499], drawn[999] })
        {
            var output = await RunPythonAsync(script, fairness.Seed, fairness.SeedHash, "1000", receipts[id].Index.ToString(CultureInfo.InvariantCulture));
            Assert.Equal($"index {receipts[id].Index} drew ticket {receipts[id].Ticket}", output.Trim());
        }
    }

    [Fact]
    public async Task Refusals_are_problems_that_change_nothing()
    {
        var later = DateTimeOffset.UtcNow.AddHours(2);
        var (sale, _) = await CreatePrequeueSaleAsync(app, later, prequeueSeconds: 60);
        var shopper = await app.RegisterShopperAsync();
        using var client = app.Anonymous();

        using (var tooEarly = await client.JoinAsync(sale, shopper.AccessToken))
        {
            await ProblemAssert.IsProblemAsync(tooEarly, HttpStatusCode.Conflict, "prequeue-not-open");
        }
        using (var me = await client.PlaceAsync(sale, shopper.AccessToken))
        {
            Assert.Equal(HttpStatusCode.NotFound, me.StatusCode);
        }
        var plain = await app.CreateSaleAsync(stock: 5);
        using (var noPrequeue = await client.GetAsync($"/api/v1/flash-sales/{plain}/fairness"))
        {
            await ProblemAssert.IsProblemAsync(noPrequeue, HttpStatusCode.Conflict, "no-prequeue");
        }
        using (var unknown = await client.GetAsync($"/api/v1/flash-sales/{Guid.NewGuid()}/fairness"))
        {
            await ProblemAssert.IsProblemAsync(unknown, HttpStatusCode.NotFound, "not-found");
        }
        using (var malformed = await client.GetAsync("/api/v1/flash-sales/not-a-sale/fairness"))
        {
            Assert.Equal(HttpStatusCode.NotFound, malformed.StatusCode);
            Assert.Equal("application/problem+json", malformed.Content.Headers.ContentType?.MediaType);
        }
        using var admin = await app.AdminAsync();
        using var bad = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId = Guid.NewGuid(), salePrice = 1m, totalStock = 1, perUserLimit = 1, startsAt = later, endsAt = later.AddHours(1),
            waitingRoom = false, prequeueSeconds = 60,
        });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("prequeueSeconds", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    internal static async Task<(Guid Sale, string SeedHash)> CreatePrequeueSaleAsync(FlashSaleApp app, DateTimeOffset startsAt, int prequeueSeconds)
    {
        using var admin = await app.AdminAsync();
        var product = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Draw product", description = "", basePrice = 100m });
        product.EnsureSuccessStatusCode();
        var productId = (await product.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        using var created = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId, salePrice = 10m, totalStock = 100, perUserLimit = 1, startsAt, endsAt = startsAt.AddHours(1),
            waitingRoom = true, admissionRatePerSecond = 1_000, admissionWindowSeconds = 60, prequeueSeconds,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(prequeueSeconds, body.GetProperty("prequeueSeconds").GetInt32());
        var seedHash = body.GetProperty("fairness").GetProperty("seedHash").GetString()!;
        Assert.Matches("^[0-9a-f]{64}$", seedHash);
        Assert.DoesNotContain("seed\"", body.GetRawText().Replace("seedHash\"", "", StringComparison.Ordinal), StringComparison.Ordinal);
        return (body.GetProperty("id").GetGuid(), seedHash);
    }

    /// <summary>Draws the sale as its line's lease holder would when <paramref name="clock"/> reaches the start.</summary>
    internal static async Task<bool> DrawAsync(FlashSaleApp app, Guid sale, TimeProvider clock)
    {
        var draw = new PrequeueDraw(app.Services.GetRequiredService<RedisWaitingRoom>(), app.Services.GetRequiredService<PostgresLineJournal>(),
            app.Services.GetRequiredService<NpgsqlDataSource>(), clock, NullLogger<PrequeueDraw>.Instance);
        var line = (await app.Services.GetRequiredService<WaitingRoomCatalog>().GetAsync(sale, CancellationToken.None))!;
        return await draw.TryDrawAsync(line, app.Services.GetRequiredService<AdmissionLoop>().Owner, CancellationToken.None);
    }

    internal static async Task<PrequeueBody> JoinAsync(HttpClient client, Guid sale, string token)
    {
        using var response = await client.JoinAsync(sale, token);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<PrequeueBody>())!;
    }

    /// <summary>The first python block after "Verify a draw" in docs/REALTIME.md.</summary>
    private static string VerifyScript()
    {
        var docs = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "REALTIME.md"));
        var from = docs.IndexOf("#### Verify a draw", StringComparison.Ordinal);
        Assert.True(from >= 0, "docs/REALTIME.md has no 'Verify a draw' section");
        var block = PythonBlock().Match(docs, from);
        Assert.True(block.Success);
        Assert.True(block.Groups[1].Value.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length <= 10, "the documented script is at most 10 lines");
        return block.Groups[1].Value;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "FlashSale.slnx")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("The repository root was not found.");
    }

    private static async Task<string> RunPythonAsync(string script, params string[] arguments)
    {
        var file = Path.Combine(Path.GetTempPath(), $"verify-draw-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(file);
            foreach (var argument in arguments)
            {
                info.ArgumentList.Add(argument);
            }
            using var process = Process.Start(info)!;
            var output = await process.StandardOutput.ReadToEndAsync();
            var error = await process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            Assert.True(process.ExitCode == 0, error);
            return output;
        }
        finally
        {
            File.Delete(file);
        }
    }

    [GeneratedRegex("```python\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex PythonBlock();
}
