using System.Net;
using System.Net.Sockets;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Api;

/// <summary>
/// Turns an HTTP answer into an outcome bucket. Refusals the contract names (sold out, limit reached, back-pressure
/// ...) are answers, not errors: only transport failures, timeouts, 5xx and unexpected client errors count as errors.
/// </summary>
internal static class OutcomeClassifier
{
    private static readonly HashSet<string> RefusalSlugs = new(StringComparer.OrdinalIgnoreCase)
    {
        "sold-out", "limit-reached", "sale-not-active", "not-admitted", "overloaded", "rate-limited",
        "payment-declined", "insufficient-funds", "order-expired", "order-cancelled",
    };

    public static Outcome FromStatus(int status, string? slug)
    {
        if (status is >= 200 and < 300)
        {
            return Outcome.Ok;
        }

        var refused = (slug is not null && RefusalSlugs.Contains(slug)) || status is 402 or 409 or 429;
        var name = slug ?? (status == 429 ? "rate-limited" : "http-" + status.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return refused ? Outcome.Refused(name) : Outcome.Error(name);
    }

    public static Outcome FromException(Exception exception) => exception switch
    {
        TaskCanceledException or TimeoutException => Outcome.Timeout,
        HttpRequestException { InnerException: SocketException s } => Outcome.Error(SocketName(s.SocketErrorCode)),
        HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError } => Outcome.Error("connection-error"),
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => Outcome.Error("response-ended"),
        HttpRequestException => Outcome.Error("http-error"),
        System.Net.WebSockets.WebSocketException => Outcome.Error("websocket-error"),
        System.Text.Json.JsonException => Outcome.Error("bad-json"),
        _ => Outcome.Error("client-error"),
    };

    private static string SocketName(SocketError error) => error switch
    {
        SocketError.ConnectionRefused => "connection-refused",
        SocketError.ConnectionReset => "connection-reset",
        SocketError.TimedOut => "connect-timeout",
        SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable => "out-of-sockets",
        SocketError.AddressNotAvailable => "out-of-ports",
        _ => "socket-error",
    };

    /// <summary>True for answers that say the route itself does not exist on this host (an older host).</summary>
    public static bool IsMissingRoute(int status) => status is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.MethodNotAllowed;
}
