using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.RateLimiting;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>Marks an endpoint whose request lives as long as its connection (a WebSocket): see <see cref="LongLivedEndpoints"/>.</summary>
public sealed class LongLivedRequestMetadata
{
    public static readonly LongLivedRequestMetadata Instance = new();

    private LongLivedRequestMetadata()
    {
    }
}

/// <summary>
/// Serves long-lived endpoints (<c>/ws</c>) ahead of the middleware that is pointless for them. Every middleware that
/// awaits the rest of the pipeline keeps its async state alive as long as the request: for a socket that is hours,
/// times 10,000 sockets. Authentication (the socket checks its own one-use ticket or token), authorization, the rate
/// limiter, the status-code pages and the endpoint middleware each kept a frame a socket (≈ 1 KB together with their
/// state; docs/PERFORMANCE.md, "Socket memory"). A marked endpoint runs here, right after routing, with only what it
/// needs: the exception handler (a failure before the handshake is still a problem+json 500), the security headers
/// and the WebSocket feature (what <see cref="UseLongLivedEndpoints"/> is given). The endpoint is still mapped like any other (route
/// table, 404/405 handling); only the way to it is shorter.
/// <para>
/// An endpoint that asks for authorization or a rate limit is never taken this way, whatever its marker says: those
/// are enforced by the middleware skipped here, so such an endpoint goes through the whole pipeline instead.
/// </para>
/// </summary>
public static class LongLivedEndpoints
{
    public static TBuilder AsLongLived<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(LongLivedRequestMetadata.Instance);

    /// <summary>Whether the request's endpoint is served by the short way.</summary>
    public static bool TakesShortcut(Endpoint? endpoint) =>
        endpoint is { RequestDelegate: not null } &&
        endpoint.Metadata.GetMetadata<LongLivedRequestMetadata>() is not null &&
        endpoint.Metadata.GetMetadata<IAuthorizeData>() is null &&
        endpoint.Metadata.GetMetadata<EnableRateLimitingAttribute>() is null;

    /// <summary>After routing and the middleware every request needs (forwarded headers, request log), before the rest.</summary>
    public static IApplicationBuilder UseLongLivedEndpoints(this IApplicationBuilder app, Action<IApplicationBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(app);
        ArgumentNullException.ThrowIfNull(configure);
        app.MapWhen(http => TakesShortcut(http.GetEndpoint()), branch =>
        {
            branch.UseExceptionHandler();
            configure(branch);
            branch.Run(http => http.GetEndpoint()!.RequestDelegate!(http));
        });
        return app;
    }
}
