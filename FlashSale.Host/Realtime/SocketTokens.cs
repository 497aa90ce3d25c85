using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;

namespace FlashSale.Host.Realtime;

/// <summary>
/// Validates the bearer token of a <c>/ws</c> upgrade with the same rules as the API (the JwtBearer scheme's own
/// <see cref="Microsoft.IdentityModel.Tokens.TokenValidationParameters"/>), and keeps nothing but its expiry and
/// the user id (so the waiting room can tell a shopper whose socket carries the line not to poll).
/// <para>
/// Why not the authentication middleware: a WebSocket is one HTTP request that lasts for hours, and everything the
/// middleware builds for a request lives as long as it does — the principal with its claims, the parsed token (the
/// identity holds it), the handler's cached result and the claims-transformation cache in the request's service
/// scope. Measured with 10,000 open sockets that was about 7 KB a socket, a quarter of its managed memory. Here the
/// validation result is dropped as soon as the expiry is read. The JwtBearer handler skips <c>/ws</c>
/// (<see cref="Infrastructure.Security.AuthenticationSetup"/>).
/// </para>
/// </summary>
public sealed class SocketTokens(IOptionsMonitor<JwtBearerOptions> bearer)
{
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>The token's user and expiry when the request carries a valid one, otherwise null.</summary>
    public async ValueTask<SocketIdentity?> ValidateAsync(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var token = Find(request);
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }
        var parameters = bearer.Get(JwtBearerDefaults.AuthenticationScheme).TokenValidationParameters;
        var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
        if (!result.IsValid)
        {
            return null;
        }
        var validTo = result.SecurityToken.ValidTo; // UTC; MinValue without "exp", which the parameters refuse
        var expiresAt = validTo == DateTime.MinValue ? long.MaxValue : new DateTimeOffset(DateTime.SpecifyKind(validTo, DateTimeKind.Utc)).ToUnixTimeMilliseconds();
        var userId = result.SecurityToken is JsonWebToken jwt && Guid.TryParse(jwt.Subject, out var sub) ? sub : Guid.Empty;
        return new SocketIdentity(userId, expiresAt);
    }

    /// <summary>
    /// The Authorization header's bearer token, else <c>?access_token=</c> (browsers cannot set headers on a
    /// WebSocket). The query string is searched directly rather than through <c>Request.Query</c>, which would keep
    /// a parsed copy of it (with the token) on the request for the socket's life.
    /// </summary>
    internal static string? Find(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }
        return QueryValue(request.QueryString.Value, "access_token");
    }

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

/// <summary>Who opened a socket (<see cref="Guid.Empty"/> when the token names no user) and when its token expires.</summary>
public readonly record struct SocketIdentity(Guid UserId, long ExpiresAtUnixMs);
