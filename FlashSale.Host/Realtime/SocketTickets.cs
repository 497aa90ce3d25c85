using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.Realtime;

/// <summary>Who a socket belongs to: the user, the security stamp of the token it came with, and when that token expires.</summary>
public readonly record struct SocketIdentity(Guid UserId, int SecurityStamp, long ExpiresAtUnixMs);

/// <summary>
/// One-use tickets for <c>/ws?ticket=…</c>: a browser cannot set headers on a WebSocket, and an access token in a URL
/// ends up in proxy logs and browser history. A ticket is 256 random bits, valid <see cref="SocketAdmissionOptions.TicketSeconds"/>,
/// and gone once redeemed. With Redis it lives there (the upgrade may reach another host; <c>GETDEL</c> makes the use
/// single across hosts); only its SHA-256 is stored.
/// </summary>
public interface ISocketTickets
{
    Task<string> IssueAsync(SocketIdentity identity);

    Task<SocketIdentity?> RedeemAsync(string ticket);
}

internal static class SocketTicketFormat
{
    public static string NewTicket() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>The stored key of a ticket; null when it cannot be one (43 base64url characters), so nothing is looked up.</summary>
    public static string? Key(string ticket) =>
        ticket.Length == 43 && Base64Url.IsValid(ticket) ? Convert.ToHexString(SHA256.HashData(Encoding.ASCII.GetBytes(ticket))) : null;

    public static string Write(SocketIdentity identity) =>
        string.Create(CultureInfo.InvariantCulture, $"{identity.UserId:N}|{identity.SecurityStamp}|{identity.ExpiresAtUnixMs}");

    public static SocketIdentity? Read(string? value)
    {
        var parts = value?.Split('|');
        return parts is { Length: 3 }
            && Guid.TryParseExact(parts[0], "N", out var user)
            && int.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var stamp)
            && long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var expires)
            ? new SocketIdentity(user, stamp, expires)
            : null;
    }
}

/// <summary>Tickets in Redis (several hosts).</summary>
public sealed class RedisSocketTickets(IConnectionMultiplexer redis, IOptions<SocketAdmissionOptions> options) : ISocketTickets
{
    private const string Prefix = "flashsale:ws-ticket:";

    public async Task<string> IssueAsync(SocketIdentity identity)
    {
        var ticket = SocketTicketFormat.NewTicket();
        await redis.GetDatabase().StringSetAsync(Prefix + SocketTicketFormat.Key(ticket), SocketTicketFormat.Write(identity),
            TimeSpan.FromSeconds(options.Value.TicketSeconds)).ConfigureAwait(false);
        return ticket;
    }

    public async Task<SocketIdentity?> RedeemAsync(string ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        return SocketTicketFormat.Key(ticket) is { } key
            ? SocketTicketFormat.Read(await redis.GetDatabase().StringGetDeleteAsync(Prefix + key).ConfigureAwait(false))
            : null;
    }
}

/// <summary>Tickets in this host's memory (single-host mode, no Redis).</summary>
public sealed class LocalSocketTickets(IOptions<SocketAdmissionOptions> options, TimeProvider clock) : ISocketTickets
{
    /// <summary>Outstanding tickets kept at most; past it expired ones are dropped first, then the oldest half.</summary>
    private const int MaxOutstanding = 100_000;

    private readonly ConcurrentDictionary<string, (SocketIdentity Identity, long IssuedAt)> _tickets = new(StringComparer.Ordinal);

    public Task<string> IssueAsync(SocketIdentity identity)
    {
        if (_tickets.Count >= MaxOutstanding)
        {
            Prune();
        }
        var ticket = SocketTicketFormat.NewTicket();
        _tickets[SocketTicketFormat.Key(ticket)!] = (identity, clock.GetTimestamp());
        return Task.FromResult(ticket);
    }

    public Task<SocketIdentity?> RedeemAsync(string ticket)
    {
        ArgumentNullException.ThrowIfNull(ticket);
        var found = SocketTicketFormat.Key(ticket) is { } key && _tickets.TryRemove(key, out var entry) && !Expired(entry.IssuedAt)
            ? entry.Identity
            : (SocketIdentity?)null;
        return Task.FromResult(found);
    }

    private bool Expired(long issuedAt) => clock.GetElapsedTime(issuedAt) > TimeSpan.FromSeconds(options.Value.TicketSeconds);

    private void Prune()
    {
        foreach (var (key, entry) in _tickets)
        {
            if (Expired(entry.IssuedAt))
            {
                _tickets.TryRemove(key, out _);
            }
        }
        if (_tickets.Count >= MaxOutstanding)
        {
            foreach (var (key, _) in _tickets.OrderBy(t => t.Value.IssuedAt).Take(_tickets.Count / 2))
            {
                _tickets.TryRemove(key, out _);
            }
        }
    }
}
