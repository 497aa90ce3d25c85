using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using FlashSale.Host.Infrastructure.Seeding;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlashSale.Tests.Infrastructure;

/// <summary>
/// The real host in memory, on its own fresh PostgreSQL database and the real Redis, with an admin seeded.
/// Subclass or set <see cref="Settings"/> before first use to change configuration (e.g. rate limits).
/// </summary>
public class FlashSaleApp : WebApplicationFactory<Program>, IAsyncLifetime
{
    public const string AdminEmail = "admin@flashsale.test";
    public const string AdminPassword = "Admin-Password-For-Tests";

    private readonly TestDatabase _database;
    private readonly bool _ownsDatabase;

    public FlashSaleApp() : this(null) { }

    /// <summary>A host on <paramref name="shared"/> (already initialised), e.g. the second of two hosts.</summary>
    protected FlashSaleApp(TestDatabase? shared)
    {
        _database = shared ?? new TestDatabase();
        _ownsDatabase = shared is null;
        // Tests drive the expiry sweeper themselves, so its timing never races an assertion.
        Settings["Orders:SweepIntervalSeconds"] = "3600";
        // Tests hammer one account or address far beyond any shopper; the security tests remove these (Security/SecurityApps.cs).
        foreach (var (key, value) in RelaxedLimits)
        {
            Settings[key] = value;
        }
        // Many test hosts share one PostgreSQL (max_connections 300): none pre-opens a pool for a rush.
        Settings["WaitingRoom:WarmupConnections"] = "0";
    }

    /// <summary>Abuse limits raised for the suite, so only the tests of those limits meet them.</summary>
    public static IReadOnlyDictionary<string, string> RelaxedLimits { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["RateLimits:Session:PermitLimit"] = "100000",
        ["RateLimits:Shopper:TokenLimit"] = "100000",
        ["RateLimits:Shopper:TokensPerSecond"] = "100000",
        ["RateLimits:PayPerOrder:PermitLimit"] = "10000",
        ["Accounts:FailedSignInLimit"] = "10000",
        ["Accounts:HashQueueLimit"] = "100000",
        ["Realtime:MaxSocketsPerUser"] = "10000",
    };

    /// <summary>Shared by every FlashSaleApp so two hosts accept each other's tokens, as real hosts do.</summary>
    public static string SigningKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));

    public TestDatabase Database => _database;

    /// <summary>The host's warnings and errors (see <see cref="LogSink"/>).</summary>
    public LogSink Log { get; } = new();

    /// <summary>Configuration on top of the test defaults.</summary>
    public Dictionary<string, string?> Settings { get; } = new(StringComparer.Ordinal);

    public virtual async Task InitializeAsync()
    {
        if (_ownsDatabase)
        {
            await _database.InitializeAsync();
        }
        await using var scope = Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<Seeder>().RunAsync(CancellationToken.None);
    }

    async Task IAsyncLifetime.DisposeAsync()
    {
        await base.DisposeAsync();
        if (_ownsDatabase)
        {
            await _database.DisposeAsync();
        }
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        var settings = new Dictionary<string, string?>(StringComparer.Ordinal)
        {
            ["ConnectionStrings:Postgres"] = _database.ConnectionString,
            ["ConnectionStrings:Redis"] = TestEnvironment.Redis,
            ["Jwt:SigningKey"] = SigningKey,
            ["RateLimits:Auth:PermitLimit"] = "100000",
            ["RateLimits:Auth:WindowSeconds"] = "60",
            ["Seed:AdminEmail"] = AdminEmail,
            ["Seed:AdminPassword"] = AdminPassword,
            ["Seed:DemoData"] = "false",
            ["LoadTesting:Enabled"] = "true",
            ["Payments:Gateway"] = "test",
            // One deployment per test database: hosts sharing it share these, other test hosts on the same Redis
            // neither reconcile its streams nor hear its events.
            ["Redis:SalesSetKey"] = $"flashsale:{_database.Name}:sales",
            ["Realtime:Channel"] = $"flashsale:{_database.Name}:events",
        };
        foreach (var (key, value) in Settings)
        {
            settings[key] = value;
        }
        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(settings));
        builder.ConfigureLogging(logging => logging.AddProvider(Log));
        // The purchase-path mode and whether Redis is configured are read while services are registered, before the app
        // configuration above is layered on; a host setting is visible by then.
        foreach (var key in (string[])["PurchasePath:Mode", "ConnectionStrings:Redis"])
        {
            if (settings.TryGetValue(key, out var value) && value is not null)
            {
                builder.UseSetting(key, value);
            }
        }
    }

    public HttpClient Anonymous() => CreateClient();

    public HttpClient WithToken(string accessToken)
    {
        var client = CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", accessToken);
        return client;
    }

    public async Task<AuthBody> LoginAsync(string email, string password)
    {
        using var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/login", new { email, password });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AuthBody>())!;
    }

    public async Task<HttpClient> AdminAsync() => WithToken((await LoginAsync(AdminEmail, AdminPassword)).AccessToken);

    /// <summary>Registers a new shopper with a unique email and returns its tokens.</summary>
    public async Task<AuthBody> RegisterShopperAsync(string? email = null)
    {
        using var client = Anonymous();
        var response = await client.PostAsJsonAsync("/api/v1/auth/register",
            new { email = email ?? $"shopper-{Guid.NewGuid():N}@example.com", password = "correct horse battery", displayName = "Shopper" });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<AuthBody>())!;
    }

    public async Task<HttpClient> ShopperAsync() => WithToken((await RegisterShopperAsync()).AccessToken);

    /// <summary>Many shoppers at once through the admin bulk endpoint (no password hashing).</summary>
    public async Task<IReadOnlyList<BulkShopper>> BulkShoppersAsync(int count)
    {
        using var admin = await AdminAsync();
        var response = await admin.PostAsJsonAsync("/api/v1/load-testing/shoppers", new { count, prefix = "t" + Guid.NewGuid().ToString("N")[..12] });
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<BulkShoppers>())!.Shoppers;
    }

    /// <summary>Creates a product and a sale through the API and returns the sale's id.</summary>
    public async Task<Guid> CreateSaleAsync(int totalStock, int perUserLimit, decimal salePrice = 10m, DateTimeOffset? startsAt = null,
        DateTimeOffset? endsAt = null, int? paymentWindowSeconds = null, bool? waitingRoom = null)
    {
        using var admin = await AdminAsync();
        var product = await admin.PostAsJsonAsync("/api/v1/products", new { name = "Test product", description = "", basePrice = 100m });
        product.EnsureSuccessStatusCode();
        var productId = (await product.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
        var now = DateTimeOffset.UtcNow;
        var sale = await admin.PostAsJsonAsync("/api/v1/flash-sales", new
        {
            productId, salePrice, totalStock, perUserLimit, startsAt = startsAt ?? now.AddSeconds(-1), endsAt = endsAt ?? now.AddHours(1),
            paymentWindowSeconds, waitingRoom,
        });
        sale.EnsureSuccessStatusCode();
        return (await sale.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("id").GetGuid();
    }
}

public sealed record BulkShopper(Guid Id, string Email, string AccessToken);

public sealed record BulkShoppers(BulkShopper[] Shoppers);

public sealed record UserBody(Guid Id, string Email, string DisplayName, string Role);

public sealed record AuthBody(UserBody User, string AccessToken, string RefreshToken, int ExpiresIn);
