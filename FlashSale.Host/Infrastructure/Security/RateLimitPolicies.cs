using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using FlashSale.Host.Infrastructure.Problems;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>A fixed window per client address, bound from <c>RateLimits:Auth</c> or <c>RateLimits:Session</c>.</summary>
public sealed class WindowLimitOptions
{
    [Range(1, 1_000_000)]
    public int PermitLimit { get; set; } = 10;

    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 60;
}

/// <summary>A token bucket per signed-in user, bound from <c>RateLimits:Shopper</c>.</summary>
public sealed class BucketLimitOptions
{
    /// <summary>The burst: requests a user may make at once.</summary>
    [Range(1, 1_000_000)]
    public int TokenLimit { get; set; } = 10;

    /// <summary>The sustained rate: tokens added back per second.</summary>
    [Range(1, 1_000_000)]
    public int TokensPerSecond { get; set; } = 5;
}

/// <summary>
/// Every rate limit of the host, each answering 429 problem+json with Retry-After. Limits live in this host's
/// memory: with N hosts behind a balancer a client gets up to N times each figure, still a fixed bound.
/// </summary>
public static class RateLimitPolicies
{
    /// <summary>Sign-up and sign-in, per client address.</summary>
    public const string Auth = "auth";

    /// <summary>Refresh and logout, per client address (a page refreshes every few minutes; a bot far more often).</summary>
    public const string Session = "session";

    /// <summary>Purchases, the waiting room, pay and socket tickets: one token bucket per user (per address when anonymous).</summary>
    public const string Shopper = "shopper";

    public static IServiceCollection AddFlashSaleRateLimiting(this IServiceCollection services)
    {
        services.AddOptions<WindowLimitOptions>(Auth).BindConfiguration("RateLimits:Auth").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<WindowLimitOptions>(Session).Configure(o => o.PermitLimit = 30)
            .BindConfiguration("RateLimits:Session").ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<BucketLimitOptions>().BindConfiguration("RateLimits:Shopper").ValidateDataAnnotations().ValidateOnStart();
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.AddPolicy(Auth, context => PerAddress(context, Auth));
            limiter.AddPolicy(Session, context => PerAddress(context, Session));
            limiter.AddPolicy(Shopper, context =>
            {
                var options = context.RequestServices.GetRequiredService<IOptions<BucketLimitOptions>>().Value;
                var user = context.User.FindFirstValue(JwtRegisteredClaimNames.Sub);
                return RateLimitPartition.GetTokenBucketLimiter(user ?? "address:" + ClientAddress.PartitionKey(context), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = options.TokenLimit,
                    TokensPerPeriod = options.TokensPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                });
            });
            limiter.OnRejected = (context, cancellationToken) =>
            {
                var retryAfter = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                return new ValueTask(WriteTooManyAsync(context.HttpContext, retryAfter, "Too many requests."));
            };
        });
        return services;
    }

    /// <summary>The 429 every limit answers (also the per-email sign-in and per-order pay limits).</summary>
    public static Task WriteTooManyAsync(HttpContext http, TimeSpan retryAfter, string title)
    {
        ArgumentNullException.ThrowIfNull(http);
        var seconds = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds));
        http.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        return http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = TooMany(seconds, title),
        }).AsTask();
    }

    public static ProblemDetails TooMany(int retryAfterSeconds, string title) => new()
    {
        Status = StatusCodes.Status429TooManyRequests,
        Type = ProblemTypes.TooManyRequests,
        Title = title,
        Detail = $"Wait {retryAfterSeconds} s before trying again.",
    };

    private static RateLimitPartition<string> PerAddress(HttpContext context, string policy)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<WindowLimitOptions>>().Get(policy);
        return RateLimitPartition.GetFixedWindowLimiter(policy + ":" + ClientAddress.PartitionKey(context), _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.PermitLimit,
            Window = TimeSpan.FromSeconds(options.WindowSeconds),
            QueueLimit = 0,
        });
    }
}
