using Dapper;
using Npgsql;

namespace FlashSale.Host.Accounts;

public sealed class UserStore(NpgsqlDataSource db)
{
    private const string Columns = "id, email, display_name, password_hash, role, created_at";

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
}
