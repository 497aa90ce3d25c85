using Dapper;
using FlashSale.Engine.Core;
using Npgsql;

namespace FlashSale.Tests.Postgres;

/// <summary>Writes a sale (and a product for it) straight into PostgreSQL, for engine-level tests that need the row.</summary>
internal static class SaleRows
{
    public static async Task InsertAsync(NpgsqlDataSource dataSource, SaleDefinition sale)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var product = Guid.CreateVersion7();
        var now = DateTime.UtcNow;
        await connection.ExecuteAsync(
            """
            insert into products (id, name, description, base_price, image_url, created_at, updated_at)
            values (@product, 'test product', '', 100, null, @now, @now);
            insert into flash_sales (id, product_id, sale_price, total_stock, per_user_limit, starts_at, ends_at,
                                     payment_window_seconds, waiting_room, created_at, updated_at)
            values (@id, @product, @price, @stock, @limit, @starts, @ends, @window, @room, @now, @now);
            """,
            new
            {
                product, now, id = sale.SaleId, price = sale.UnitPriceCents / 100m, stock = sale.TotalStock, limit = sale.PerUserLimit,
                starts = sale.StartsAt.UtcDateTime, ends = sale.EndsAt.UtcDateTime, window = sale.PaymentWindowSeconds, room = sale.WaitingRoom,
            });
    }
}
