namespace FlashSale.Host.Infrastructure.Problems;

/// <summary>
/// The stable <c>type</c> URIs of every problem+json answer. Clients match on the last path segment
/// (e.g. <c>/sold-out</c>), so these never change once published.
/// </summary>
public static class ProblemTypes
{
    private const string Base = "https://flashsale.dev/problems/";

    public const string Validation = Base + "validation";
    public const string MalformedRequest = Base + "malformed-request";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string Conflict = Base + "conflict";
    public const string DuplicateEmail = Base + "duplicate-email";
    public const string InvalidCredentials = Base + "invalid-credentials";
    public const string InvalidRefreshToken = Base + "invalid-refresh-token";
    public const string RefreshTokenReused = Base + "refresh-token-reused";
    public const string TooManyRequests = Base + "too-many-requests";
    public const string SoldOut = Base + "sold-out";
    public const string LimitReached = Base + "limit-reached";
    public const string SaleNotActive = Base + "sale-not-active";
    public const string NotAdmitted = Base + "not-admitted";
    public const string Overloaded = Base + "overloaded";
    public const string ServiceUnavailable = Base + "service-unavailable";
    public const string PaymentDeclined = Base + "payment-declined";
    public const string InsufficientFunds = Base + "insufficient-funds";
    public const string OrderExpired = Base + "order-expired";
    public const string OrderCancelled = Base + "order-cancelled";
    public const string Internal = Base + "internal-error";

    // Security and abuse (docs/ARCHITECTURE.md, "Security").
    public const string TooManySockets = Base + "too-many-sockets";
    public const string OriginNotAllowed = Base + "origin-not-allowed";
    public const string PaymentUnavailable = Base + "payment-unavailable";
    public const string RequestTooLarge = Base + "request-too-large";

    /// <summary>The generic type for a bare status code (404 of an unknown route, 405, 415...).</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => MalformedRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => Conflict,
        413 => RequestTooLarge,
        429 => TooManyRequests,
        503 => ServiceUnavailable,
        >= 500 => Internal,
        _ => Base + "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
