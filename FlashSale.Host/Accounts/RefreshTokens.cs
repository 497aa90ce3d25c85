using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Accounts;

/// <summary>
/// Refresh tokens: 256 random bits handed to the client once, stored only as their SHA-256. Each use rotates the
/// token within its family (one sign-in); presenting a token that was already rotated means it leaked, so the
/// whole family is revoked, and the user's security stamp is bumped so the thief's access tokens die too. Logout
/// revokes the family; a family never outlives <see cref="JwtOptions.RefreshFamilyDays"/> from its sign-in.
/// </summary>
public sealed class RefreshTokens(NpgsqlDataSource db, IOptions<JwtOptions> options, SecurityStamps stamps, TimeProvider clock)
{
    public enum RotationOutcome { Rotated, Invalid, Reused }

    public readonly record struct Rotation(RotationOutcome Outcome, Guid UserId, string? NewToken);

    /// <summary>Starts a new family for a sign-in and returns its first token.</summary>
    public async Task<string> IssueAsync(Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var familyExpiresAt = clock.GetUtcNow().UtcDateTime.AddDays(options.Value.RefreshFamilyDays);
        return await InsertAsync(connection, null, userId, Guid.CreateVersion7(), familyExpiresAt, cancellationToken);
    }

    public async Task<Rotation> RotateAsync(string presented, CancellationToken cancellationToken)
    {
        if (!TryHash(presented, out var hash))
        {
            return new Rotation(RotationOutcome.Invalid, Guid.Empty, null);
        }
        var now = clock.GetUtcNow().UtcDateTime;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // FOR UPDATE: two concurrent uses of one token serialise here; the second sees it rotated (a reuse).
        var row = await connection.QuerySingleOrDefaultAsync<TokenRow>(new CommandDefinition(
            """
            select id, user_id, family_id, expires_at, rotated_at, revoked_at,
                   coalesce(family_expires_at, (select min(f.created_at) from refresh_tokens f where f.family_id = t.family_id) + make_interval(days => @familyDays)) as family_expires_at
            from refresh_tokens t where token_hash = @hash for update
            """,
            new { hash, familyDays = options.Value.RefreshFamilyDays }, transaction, cancellationToken: cancellationToken));
        if (row is null || row.RevokedAt is not null || row.ExpiresAt <= now || row.FamilyExpiresAt <= now)
        {
            return new Rotation(RotationOutcome.Invalid, Guid.Empty, null);
        }
        if (row.RotatedAt is not null)
        {
            await RevokeFamilyAsync(connection, transaction, row.FamilyId, "reuse", now, cancellationToken);
            await stamps.BumpAsync(connection, transaction, row.UserId, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            stamps.Forget(row.UserId);
            return new Rotation(RotationOutcome.Reused, row.UserId, null);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "update refresh_tokens set rotated_at = @now where id = @Id", new { now, row.Id }, transaction, cancellationToken: cancellationToken));
        var token = await InsertAsync(connection, transaction, row.UserId, row.FamilyId, row.FamilyExpiresAt, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new Rotation(RotationOutcome.Rotated, row.UserId, token);
    }

    /// <summary>Revokes the family the token belongs to; unknown tokens are ignored (logout is idempotent).</summary>
    public async Task RevokeAsync(string presented, CancellationToken cancellationToken)
    {
        if (!TryHash(presented, out var hash))
        {
            return;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var family = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "select family_id from refresh_tokens where token_hash = @hash", new { hash }, cancellationToken: cancellationToken));
        if (family is { } id)
        {
            await RevokeFamilyAsync(connection, null, id, "logout", clock.GetUtcNow().UtcDateTime, cancellationToken);
        }
    }

    /// <summary>
    /// Signs the user out everywhere: revokes every family and bumps the security stamp, so access tokens already
    /// handed out stop working on the routes that check (within <see cref="JwtOptions.RevocationCheckSeconds"/> on
    /// other hosts) and open sockets are closed by the sweep.
    /// </summary>
    /// <returns>The user's new security stamp.</returns>
    public async Task<int> RevokeAllAsync(Guid userId, string reason, Func<NpgsqlConnection, NpgsqlTransaction, Task>? alsoInTransaction, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (alsoInTransaction is not null)
        {
            await alsoInTransaction(connection, transaction);
        }
        await connection.ExecuteAsync(new CommandDefinition(
            "update refresh_tokens set revoked_at = @now, revoked_reason = @reason where user_id = @userId and revoked_at is null",
            new { now = clock.GetUtcNow().UtcDateTime, reason, userId }, transaction, cancellationToken: cancellationToken));
        var stamp = await stamps.BumpAsync(connection, transaction, userId, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        stamps.Forget(userId);
        return stamp;
    }

    private async Task<string> InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid userId, Guid familyId, DateTime familyExpiresAt,
        CancellationToken cancellationToken)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var token = Base64Url.EncodeToString(secret);
        var now = clock.GetUtcNow().UtcDateTime;
        var expiresAt = now.AddDays(options.Value.RefreshTokenDays);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at, family_expires_at)
            values (@Id, @userId, @familyId, @Hash, @now, @ExpiresAt, @familyExpiresAt)
            """,
            new
            {
                Id = Guid.CreateVersion7(), userId, familyId, Hash = SHA256.HashData(Encoding.ASCII.GetBytes(token)), now,
                ExpiresAt = expiresAt < familyExpiresAt ? expiresAt : familyExpiresAt, familyExpiresAt,
            },
            transaction, cancellationToken: cancellationToken));
        return token;
    }

    private static Task<int> RevokeFamilyAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, Guid familyId, string reason, DateTime now, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            "update refresh_tokens set revoked_at = @now, revoked_reason = @reason where family_id = @familyId and revoked_at is null",
            new { now, reason, familyId }, transaction, cancellationToken: cancellationToken));

    private static bool TryHash(string presented, out byte[] hash)
    {
        // A real token is 43 base64url characters; anything else cannot match and is not worth a query.
        if (presented.Length != 43 || !Base64Url.IsValid(presented))
        {
            hash = [];
            return false;
        }
        hash = SHA256.HashData(Encoding.ASCII.GetBytes(presented));
        return true;
    }

    private sealed record TokenRow(Guid Id, Guid UserId, Guid FamilyId, DateTime ExpiresAt, DateTime? RotatedAt, DateTime? RevokedAt, DateTime FamilyExpiresAt);
}
