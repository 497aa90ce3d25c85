using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Claims;
using Dapper;
using FlashSale.Host.Infrastructure.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// Each user's security stamp (<c>users.security_stamp</c>), copied into access tokens as <see cref="Claim"/>. A
/// bump makes every older token of the user fail where the stamp is checked: admin routes, pay, the WebSocket ticket
/// and the socket sweep (<see cref="CurrentSession"/>). Reads are cached for <see cref="JwtOptions.RevocationCheckSeconds"/>
/// so a stolen token dies within that time on every host; a bump on this host is seen here at once.
/// </summary>
public sealed class SecurityStamps(NpgsqlDataSource db, IOptions<JwtOptions> options, TimeProvider clock) : IDisposable
{
    public const string Claim = "sst";

    /// <summary>Entries kept before the cache is emptied (a burst of distinct admins/payers cannot grow it without bound).</summary>
    private const int MaxCached = 50_000;

    private readonly ConcurrentDictionary<Guid, (int? Stamp, long ReadAt)> _cache = new();

    /// <summary>
    /// Cache misses of the same moment read in one statement: 2,000 new payers a second are a few dozen reads, not 2,000
    /// pooled connections and round trips beside the payments themselves.
    /// </summary>
    private readonly StatementBatcher<Guid, int?> _reads = new(maxBatch: 512, maxQueued: 20_000, async (userIds, cancellationToken) =>
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var ids = userIds.Distinct().ToArray();
        var stamps = (await connection.QueryAsync<(Guid Id, int Stamp)>(new CommandDefinition(
            "select id, security_stamp from users where id = any(@ids)", new { ids }, cancellationToken: cancellationToken)))
            .ToDictionary(r => r.Id, r => r.Stamp);
        return [.. userIds.Select(id => stamps.TryGetValue(id, out var stamp) ? stamp : (int?)null)];
    });

    /// <summary>The stamp a token carries; tokens minted before stamps existed count as 0, the stamp every user starts with.</summary>
    public static int FromPrincipal(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return int.TryParse(principal.FindFirst(Claim)?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var stamp) ? stamp : 0;
    }

    /// <summary>The user's current stamp (cached briefly), or null when the user no longer exists.</summary>
    public async ValueTask<int?> CurrentAsync(Guid userId, CancellationToken cancellationToken)
    {
        if (_cache.TryGetValue(userId, out var entry) && clock.GetElapsedTime(entry.ReadAt) < MaxAge)
        {
            return entry.Stamp;
        }
        var stamp = await _reads.AskAsync(userId, cancellationToken);
        Remember(userId, stamp);
        return stamp;
    }

    /// <summary>The current stamps of many users at once, uncached (the socket sweep). Missing users are absent.</summary>
    public async Task<Dictionary<Guid, int>> ReadAsync(Guid[] userIds, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(Guid Id, int Stamp)>(new CommandDefinition(
            "select id, security_stamp from users where id = any(@userIds)", new { userIds }, cancellationToken: cancellationToken));
        return rows.ToDictionary(r => r.Id, r => r.Stamp);
    }

    /// <summary>Bumps the stamp (inside the caller's transaction when given) and forgets the cached value.</summary>
    public async Task<int> BumpAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var stamp = await connection.ExecuteScalarAsync<int?>(new CommandDefinition(
            "update users set security_stamp = security_stamp + 1 where id = @userId returning security_stamp",
            new { userId }, transaction, cancellationToken: cancellationToken));
        _cache.TryRemove(userId, out _);
        return stamp ?? 0;
    }

    /// <summary>Forgets the cached stamp (after the transaction that bumped it committed: a read in between cached the old one).</summary>
    public void Forget(Guid userId) => _cache.TryRemove(userId, out _);

    private TimeSpan MaxAge => TimeSpan.FromSeconds(options.Value.RevocationCheckSeconds);

    private void Remember(Guid userId, int? stamp)
    {
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }
        _cache[userId] = (stamp, clock.GetTimestamp());
    }

    public void Dispose() => _reads.Dispose();
}
