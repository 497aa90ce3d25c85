using Dapper;
using Npgsql;

namespace FlashSale.Host.Orders;

public sealed class OrderStore(NpgsqlDataSource db)
{
    public const string Columns =
        "id, flash_sale_id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at";

    public async Task<Order?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Order>(new CommandDefinition(
            $"select {Columns} from orders where id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<(IReadOnlyList<Order> Items, long Total)> ListForUserAsync(Guid userId, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var items = (await connection.QueryAsync<Order>(new CommandDefinition(
            $"select {Columns} from orders where user_id = @userId order by created_at desc, id desc limit @pageSize offset @offset",
            new { userId, pageSize, offset = (page - 1) * pageSize }, cancellationToken: cancellationToken))).AsList();
        var total = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "select count(*) from orders where user_id = @userId", new { userId }, cancellationToken: cancellationToken));
        return (items, total);
    }
}
