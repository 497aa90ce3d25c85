using Dapper;
using Npgsql;

namespace FlashSale.Host.Accounts;

public sealed class UserStore(NpgsqlDataSource db)
{
    private const string Columns = "id, email, display_name, password_hash, role, created_at, security_stamp";

    /// <summary>Inserts the user; false when the email is taken.</summary>
    public async Task<bool> TryCreateAsync(UserAccount user, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into users (id, email, email_normalized, display_name, password_hash, role, created_at)
            values (@Id, @Email, @Normalized, @DisplayName, @PasswordHash, @Role, @CreatedAt)
            on conflict (email_normalized) do nothing
            """,
            new { user.Id, user.Email, Normalized = AccountValidation.NormalizeEmail(user.Email), user.DisplayName, user.PasswordHash, user.Role, user.CreatedAt },
            cancellationToken: cancellationToken));
        return inserted == 1;
    }

    public async Task<UserAccount?> FindByEmailAsync(string email, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
            $"select {Columns} from users where email_normalized = @Normalized",
            new { Normalized = AccountValidation.NormalizeEmail(email) }, cancellationToken: cancellationToken));
    }

    public async Task<UserAccount?> FindByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<UserAccount>(new CommandDefinition(
            $"select {Columns} from users where id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>Replaces the stored hash (a rehash at the current work factor; the stamp is left alone).</summary>
    public async Task UpdatePasswordHashAsync(Guid id, string expectedHash, string newHash, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Only over the hash it verified: a password changed meanwhile is not overwritten by the old one's rehash.
        await connection.ExecuteAsync(new CommandDefinition(
            "update users set password_hash = @newHash where id = @id and password_hash = @expectedHash",
            new { id, expectedHash, newHash }, cancellationToken: cancellationToken));
    }

    /// <summary>Sets a new hash inside the caller's transaction (a password change, with its sign-out everywhere).</summary>
    public Task<int> SetPasswordHashAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid id, string hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return connection.ExecuteAsync(new CommandDefinition(
            "update users set password_hash = @hash where id = @id", new { id, hash }, transaction, cancellationToken: cancellationToken));
    }
}
