using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Realtime;

/// <summary>Who may open a socket, bound from <c>Realtime</c> next to <see cref="RealtimeOptions"/>.</summary>
public sealed class SocketAdmissionOptions
{
    /// <summary>Open sockets one user may hold on one host; the next upgrade answers 429 <c>/too-many-sockets</c>.</summary>
    [Range(1, 10_000)]
    public int MaxSocketsPerUser { get; set; } = 5;

    /// <summary>How long a ticket from <c>POST /api/v1/realtime/ticket</c> may wait for its upgrade.</summary>
    [Range(1, 300)]
    public int TicketSeconds { get; set; } = 30;

    /// <summary>
    /// Origins (<c>https://shop.example</c>) whose pages may open sockets besides the host's own. A browser always
    /// sends <c>Origin</c> on a WebSocket upgrade; clients without one (the load tool) are not browsers and pass.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];
}

/// <summary>
/// The checks of a <c>/ws</c> upgrade before it is accepted: the page's origin (a WebSocket is not bound by the
/// same-origin policy, so another site's page could otherwise ride a shopper's ticket) and the per-user socket cap
/// (one account must not hold every connection slot of the host).
/// </summary>
public sealed class SocketAdmission(IOptions<SocketAdmissionOptions> options)
{
    private readonly ConcurrentDictionary<Guid, int> _open = new();

    public int OpenFor(Guid userId) => _open.TryGetValue(userId, out var count) ? count : 0;

    public bool OriginAllowed(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }
        var own = request.Scheme + "://" + request.Host.Value;
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || options.Value.AllowedOrigins.Any(o => string.Equals(origin, o.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Takes one of the user's socket slots; false when the user holds them all. Pair with <see cref="Leave"/>.</summary>
    public bool TryEnter(Guid userId)
    {
        var max = options.Value.MaxSocketsPerUser;
        while (true)
        {
            var count = _open.GetOrAdd(userId, 0);
            if (count >= max)
            {
                return false;
            }
            if (_open.TryUpdate(userId, count + 1, count))
            {
                return true;
            }
        }
    }

    public void Leave(Guid userId)
    {
        while (_open.TryGetValue(userId, out var count))
        {
            if (count <= 1 ? _open.TryRemove(new KeyValuePair<Guid, int>(userId, count)) : _open.TryUpdate(userId, count - 1, count))
            {
                return;
            }
        }
    }
}
