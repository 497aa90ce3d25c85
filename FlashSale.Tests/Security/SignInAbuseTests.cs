using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using Dapper;
using FlashSale.Host.Accounts;
using FlashSale.Tests.Infrastructure;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace FlashSale.Tests.Security;

public sealed class SessionLimitApp : DefaultLimitsApp
{
    public SessionLimitApp() => Settings["RateLimits:Session:PermitLimit"] = "3";
}

public sealed class HashGateApp : DefaultLimitsApp
{
    public HashGateApp()
    {
        Settings["Accounts:MaxConcurrentHashes"] = "1";
        Settings["Accounts:HashQueueLimit"] = "0";
    }
}

/// <summary>Issue 11 item 2: per-email failure limit, bounded hashing, limits on refresh/logout, OWASP work factor with rehash.</summary>
[Trait("Category", TestCategory.Integration)]
public sealed class SignInAbuseTests(DefaultLimitsApp app) : IClassFixture<DefaultLimitsApp>
{
    private static object Login(string email, string password) => new { email, password };

    [Fact]
    public async Task Five_failed_sign_ins_lock_the_email_for_its_window_with_429_and_retry_after_and_no_other_email()
    {
        var victim = await app.RegisterShopperAsync();
        var bystander = await app.RegisterShopperAsync();
        using var client = app.Anonymous();
        for (var i = 0; i < 5; i++)
        {
            await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/api/v1/auth/login", Login(victim.User.Email, "guess " + i)),
                HttpStatusCode.Unauthorized, "invalid-credentials");
        }

        // Even the right password waits: the guesser cannot tell a hit from the lock.
        var locked = await client.PostAsJsonAsync("/api/v1/auth/login", Login(victim.User.Email.ToUpperInvariant(), "correct horse battery"));

        await ProblemAssert.IsProblemAsync(locked, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.InRange(locked.Headers.RetryAfter!.Delta!.Value.TotalSeconds, 1, 300);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/auth/login", Login(bystander.User.Email, "correct horse battery"))).StatusCode);
    }

    [Fact]
    public void The_lock_ends_with_its_window_and_a_success_clears_the_count()
    {
        var clock = new FakeTimeProvider();
        var failures = new SignInFailures(Options.Create(new SignInProtectionOptions { FailedSignInLimit = 2, FailedSignInWindowSeconds = 60 }), clock);
        failures.RecordFailure("A");
        failures.RecordFailure("A");
        Assert.True(failures.IsLocked("A", out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(60), retryAfter);

        clock.Advance(TimeSpan.FromSeconds(61));
        Assert.False(failures.IsLocked("A", out _));

        failures.RecordFailure("B");
        failures.RecordSuccess("B");
        failures.RecordFailure("B");
        Assert.False(failures.IsLocked("B", out _));
    }

    [Fact]
    public async Task A_hash_older_than_the_current_work_factor_is_upgraded_at_sign_in()
    {
        var email = $"old-hash-{Guid.NewGuid():N}@example.com";
        var legacy = new PasswordHasher<object>().HashPassword(new object(), "an old password"); // Identity's 100,000 iterations
        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            await connection.ExecuteAsync(
                "insert into users (id, email, email_normalized, display_name, password_hash, role, created_at) values (@id, @email, upper(@email), 'Old', @legacy, 'shopper', now())",
                new { id = Guid.CreateVersion7(), email, legacy });
        }
        Assert.Equal(100_000, Iterations(legacy));

        await app.LoginAsync(email, "an old password");

        await using (var connection = await app.Database.DataSource.OpenConnectionAsync())
        {
            var stored = await connection.QuerySingleAsync<string>("select password_hash from users where email = @email", new { email });
            Assert.Equal(PasswordHashing.Iterations, Iterations(stored));
        }
        await app.LoginAsync(email, "an old password");
    }

    [Fact]
    public void New_hashes_use_OWASPs_PBKDF2_SHA512_recommendation()
    {
        var hash = new PasswordHashing().Hash("whatever it is");
        Assert.True(Iterations(hash) >= 210_000);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(hash).AsSpan(1))); // HMACSHA512
    }

    /// <summary>Identity's V3 format: 0x01, PRF (4 bytes), iteration count (4 bytes, big-endian), salt length, salt, subkey.</summary>
    private static int Iterations(string hash) => (int)BinaryPrimitives.ReadUInt32BigEndian(Convert.FromBase64String(hash).AsSpan(5));
}

[Trait("Category", TestCategory.Integration)]
public sealed class SessionRateLimitTests(SessionLimitApp app) : IClassFixture<SessionLimitApp>
{
    [Fact]
    public async Task Refresh_and_logout_are_rate_limited_per_client_address()
    {
        using var client = app.Anonymous();
        var answers = new List<HttpResponseMessage>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add(await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = new string('x', 43) }));
        }
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));

        var limited = await client.PostAsJsonAsync("/api/v1/auth/refresh", new { refreshToken = new string('x', 43) });
        await ProblemAssert.IsProblemAsync(limited, HttpStatusCode.TooManyRequests, "too-many-requests");
        Assert.True(limited.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        await ProblemAssert.IsProblemAsync(await client.PostAsJsonAsync("/api/v1/auth/logout", new { refreshToken = new string('x', 43) }),
            HttpStatusCode.TooManyRequests, "too-many-requests");
    }
}

[Trait("Category", TestCategory.Integration)]
public sealed class HashGateTests(HashGateApp app) : IClassFixture<HashGateApp>
{
    [Fact]
    public async Task Password_hashes_beyond_the_slots_and_queue_are_refused_503_at_once()
    {
        using var client = app.Anonymous();

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(i =>
            client.PostAsJsonAsync("/api/v1/auth/login", new { email = $"nobody-{i}@example.com", password = "wrong password" })));

        Assert.Contains(answers, a => a.StatusCode == HttpStatusCode.Unauthorized);
        var busy = answers.First(a => a.StatusCode == HttpStatusCode.ServiceUnavailable);
        await ProblemAssert.IsProblemAsync(busy, HttpStatusCode.ServiceUnavailable, "overloaded");
    }

    [Fact]
    public async Task The_gate_hands_out_its_slots_and_queue_and_refuses_past_them()
    {
        using var gate = new PasswordHashGate(Options.Create(new SignInProtectionOptions { MaxConcurrentHashes = 1, HashQueueLimit = 1 }));
        using var first = await gate.EnterAsync(CancellationToken.None);
        var queued = gate.EnterAsync(CancellationToken.None);
        using var refused = await gate.EnterAsync(CancellationToken.None);

        Assert.True(first.IsAcquired);
        Assert.False(refused.IsAcquired);
        first.Dispose();
        using var second = await queued;
        Assert.True(second.IsAcquired);
    }
}
