using System.Globalization;
using System.Security.Claims;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace FlashSale.Host.Realtime;

public sealed record SocketTicketResponse(string Ticket, int ExpiresIn);

/// <summary><c>POST /api/v1/realtime/ticket</c>: a one-use ticket for <c>/ws?ticket=…</c> (see <see cref="ISocketTickets"/>).</summary>
public static class SocketTicketEndpoints
{
    public static IEndpointRouteBuilder MapSocketTickets(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/api/v1/realtime/ticket", Issue).WithTags("Realtime")
            .RequireAuthorization().RequireCurrentSession().RequireRateLimiting(RateLimitPolicies.Shopper);
        return routes;
    }

    /// <summary>The socket opened with the ticket lives as long as the access token that asked for it (then 4401).</summary>
    public static async Task<Ok<SocketTicketResponse>> Issue(ClaimsPrincipal principal, ISocketTickets tickets, IOptions<SocketAdmissionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(principal);
        ArgumentNullException.ThrowIfNull(tickets);
        ArgumentNullException.ThrowIfNull(options);
        var expires = long.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Exp), NumberStyles.Integer, CultureInfo.InvariantCulture, out var exp)
            ? exp * 1000
            : long.MaxValue;
        var ticket = await tickets.IssueAsync(new SocketIdentity(principal.UserId(), SecurityStamps.FromPrincipal(principal), expires));
        return TypedResults.Ok(new SocketTicketResponse(ticket, options.Value.TicketSeconds));
    }

    /// <summary>
    /// The upgrade checks and the revocation sweep. The tickets themselves (<see cref="ISocketTickets"/>: Redis, so any
    /// host can take a ticket another issued, or local on a single host) are registered by the purchase path's mode.
    /// </summary>
    public static IServiceCollection AddFlashSaleSocketSecurity(this IServiceCollection services)
    {
        services.AddOptions<SocketAdmissionOptions>().BindConfiguration(RealtimeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Add(SocketTicketJsonContext.Default));
        services.AddSingleton<SocketAdmission>();
        services.AddHostedService<SocketRevocationSweep>();
        return services;
    }
}

[System.Text.Json.Serialization.JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[System.Text.Json.Serialization.JsonSerializable(typeof(SocketTicketResponse))]
internal sealed partial class SocketTicketJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
