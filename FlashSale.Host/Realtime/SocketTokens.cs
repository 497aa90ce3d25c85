using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace FlashSale.Host.Realtime;

/// <summary>
/// Finds who opens a <c>/ws</c> upgrade: a one-use ticket (<c>?ticket=</c>, what the page uses; <see cref="ISocketTickets"/>)
/// or a bearer token in the Authorization header (non-browser clients), validated with the same rules as the API
/// (the JwtBearer scheme's own <see cref="Microsoft.IdentityModel.Tokens.TokenValidationParameters"/>). Access tokens
/// in the query string are not accepted: URLs end up in logs.
/// <para>
/// Why not the authentication middleware: a WebSocket is one HTTP request that lasts for hours, and everything the
/// middleware builds for a request lives as long as it does — the principal with its claims, the parsed token (the
/// identity holds it), the handler's cached result and the claims-transformation cache in the request's service
/// scope. Measured with 10,000 open sockets that was about 7 KB a socket, a quarter of its managed memory. Here the
/// validation result is dropped as soon as the user, stamp and expiry are read. The JwtBearer handler skips
/// <c>/ws</c> (<see cref="Infrastructure.Security.AuthenticationSetup"/>).
/// </para>
/// </summary>
public sealed class SocketTokens(IOptionsMonitor<JwtBearerOptions> bearer, ISocketTickets tickets)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The socket's owner when the request carries a valid ticket or token, otherwise null.</summary>
    public async ValueTask<SocketIdentity?> ValidateAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (QueryValue(request.QueryString.Value, "ticket") is { Length: > 0 } ticket)
        {
            return await tickets.RedeemAsync(ticket).ConfigureAwait(false);
        }
        var token = Find(request);
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid || result.SecurityToken is not JsonWebToken jwt || !Guid.TryParse(jwt.Subject, out var userId))
        {
            return null;
        }
        var stamp = jwt.TryGetPayloadValue<int>(Infrastructure.Security.SecurityStamps.Claim, out var value) ? value : 0;
        var validTo = jwt.ValidTo; // UTC; MinValue without "exp", which the parameters refuse
        var expires = validTo == DateTime.MinValue ? long.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        return new SocketIdentity(userId, stamp, expires);
    }

    /// <summary>The Authorization header's bearer token.</summary>
    internal static string? Find(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    /// <summary>
    /// One query parameter, searched directly rather than through <c>Request.Query</c>, which would keep a parsed copy
    /// of the query string on the request for the socket's life.
    /// </summary>
    internal static string? QueryValue(string? query, string name)
    {
        if (string.IsNullOrEmpty(query))
        {
            return null;
        }
        var rest = query.AsSpan(query[0] == '?' ? 1 : 0);
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? [] : rest[(amp + 1)..];
            var eq = pair.IndexOf('=');
            var key = eq < 0 ? pair : pair[..eq];
            if (key.SequenceEqual(name))
            {
                return eq < 0 ? string.Empty : Uri.UnescapeDataString(pair[(eq + 1)..].ToString().Replace('+', ' '));
            }
        }
        return null;
    }
}
