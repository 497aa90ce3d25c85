using Dapper;
using Npgsql;

namespace FlashSale.Host.Catalog;

public sealed class ProductStore(NpgsqlDataSource db)
{
    private const string Columns = "id, name, description, base_price, image_url, created_at, updated_at";

    public async Task<IReadOnlyList<Product>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Product>(new CommandDefinition(
            $"select {Columns} from products order by created_at desc, id", cancellationToken: cancellationToken))).AsList();
    }

    public async Task<Product?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Product>(new CommandDefinition(
            $"select {Columns} from products where id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task InsertAsync(Product product, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into products (id, name, description, base_price, image_url, created_at, updated_at)
            values (@Id, @Name, @Description, @BasePrice, @ImageUrl, @CreatedAt, @UpdatedAt)
            on conflict (id) do nothing
            """, product, cancellationToken: cancellationToken));
    }

    /// <summary>Replaces the editable fields; null when the product does not exist.</summary>
    public async Task<Product?> UpdateAsync(Guid id, string name, string description, decimal basePrice, string? imageUrl, DateTime now, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Product>(new CommandDefinition(
            $"""
            update products set name = @name, description = @description, base_price = @basePrice, image_url = @imageUrl, updated_at = @now
            where id = @id returning {Columns}
            """, new { id, name, description, basePrice, imageUrl, now }, cancellationToken: cancellationToken));
    }
}
