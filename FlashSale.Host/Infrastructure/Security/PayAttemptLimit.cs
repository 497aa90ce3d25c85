using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>Pay attempts per order, bound from <c>RateLimits:PayPerOrder</c>.</summary>
public sealed class PayAttemptOptions
{
    public const string Section = "RateLimits:PayPerOrder";

    [Range(1, 10_000)]
    public int PermitLimit { get; set; } = 5;

    [Range(1, 86_400)]
    public int WindowSeconds { get; set; } = 600;
}

/// <summary>
/// Card testing: a fraudster with stolen numbers tries them one after another against one cheap reserved order. The
/// per-user bucket does not stop a slow run of that, so each order also takes at most
/// <see cref="PayAttemptOptions.PermitLimit"/> pay attempts per window, on this host.
/// </summary>
public sealed class PayAttemptLimit : IDisposable
{
    private readonly PartitionedRateLimiter<Guid> _limiter;

    public PayAttemptLimit(IOptions<PayAttemptOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _limiter = PartitionedRateLimiter.Create<Guid, Guid>(orderId => RateLimitPartition.GetFixedWindowLimiter(orderId, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = settings.PermitLimit,
            Window = TimeSpan.FromSeconds(settings.WindowSeconds),
            QueueLimit = 0,
        }));
    }

    public RateLimitLease Attempt(Guid orderId) => _limiter.AttemptAcquire(orderId);

    public void Dispose() => _limiter.Dispose();
}

public static class PayAttemptLimitSetup
{
    public static IServiceCollection AddFlashSalePayAttemptLimit(this IServiceCollection services)
    {
        services.AddOptions<PayAttemptOptions>().BindConfiguration(PayAttemptOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PayAttemptLimit>();
        return services;
    }

    /// <summary>429 with Retry-After once the order (route value <c>id</c>) used its attempts.</summary>
    public static TBuilder LimitPayAttemptsPerOrder<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (http.Request.RouteValues["id"] is string text && Guid.TryParse(text, out var orderId))
            {
                using var lease = http.RequestServices.GetRequiredService<PayAttemptLimit>().Attempt(orderId);
                if (!lease.IsAcquired)
                {
                    var wait = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(60);
                    var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                    http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    return TypedResults.Problem(RateLimitPolicies.TooMany(seconds, "Too many payment attempts for this order."));
                }
            }
            return await next(context);
        });
}
