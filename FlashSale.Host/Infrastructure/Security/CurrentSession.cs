using System.Security.Claims;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// Where a revoked access token is refused before it expires: routes marked with <see cref="RequireCurrentSession{TBuilder}"/>
/// (pay, the socket ticket, the account's own security routes) and every admin route. The check runs when the
/// bearer token is validated, so a stale stamp is a plain 401. Purchases and reads are not checked: they would pay a
/// lookup per request on the hot path, and a stolen token can do no more there than its owner could within its
/// remaining minutes (at most <see cref="JwtOptions.MaxAccessTokenMinutes"/>).
/// </summary>
public static class CurrentSession
{
    private sealed class Marker;

    private static readonly Marker Instance = new();

    /// <summary>Refuses tokens whose security stamp is no longer the user's.</summary>
    public static TBuilder RequireCurrentSession<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(Instance);

    internal static bool IsRequired(Endpoint? endpoint) =>
        endpoint is not null
        && (endpoint.Metadata.GetMetadata<Marker>() is not null
            || endpoint.Metadata.GetOrderedMetadata<IAuthorizeData>().Any(a => a.Policy == Roles.AdminPolicy));

    /// <summary>The JwtBearer hook: fails the authentication of a revoked token on the routes that check.</summary>
    internal static async Task ValidateAsync(TokenValidatedContext context)
    {
        if (!IsRequired(context.HttpContext.GetEndpoint()) || context.Principal is not { } principal)
        {
            return;
        }
        var stamps = context.HttpContext.RequestServices.GetRequiredService<SecurityStamps>();
        var current = Guid.TryParse(principal.FindFirstValue(Microsoft.IdentityModel.JsonWebTokens.JwtRegisteredClaimNames.Sub), out var userId)
            ? await stamps.CurrentAsync(userId, context.HttpContext.RequestAborted)
            : null;
        if (current != SecurityStamps.FromPrincipal(principal))
        {
            context.Fail("The session was revoked (signed out everywhere, password changed, or a refresh token was reused).");
        }
    }
}
