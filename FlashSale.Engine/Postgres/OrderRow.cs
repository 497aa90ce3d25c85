using FlashSale.Engine.Core;
using Npgsql;
using NpgsqlTypes;

namespace FlashSale.Engine.Postgres;

/// <summary>
/// The <c>orders</c> row of a freshly reserved order, described once for every writer: the journal's direct COPY, its
/// staging COPY (the staging table is <c>like orders</c>), and the benchmark's raw-COPY baseline. Money is converted
/// from cents here, in C#, and nowhere else. <c>OrderRowTests</c> compares <see cref="Columns"/> with the migrated table.
/// </summary>
internal static class OrderRow
{
    /// <summary>
    /// The columns written, in the order <see cref="Write"/> writes them, with the PostgreSQL type the table must
    /// declare for each; the table's other columns keep their defaults.
    /// </summary>
    public static readonly IReadOnlyList<(string Column, string Type)> Types =
    [
        ("id", "uuid"), ("flash_sale_id", "uuid"), ("user_id", "uuid"), ("quantity", "integer"), ("unit_price", "numeric"),
        ("total_price", "numeric"), ("status", "text"), ("idempotency_key", "text"), ("created_at", "timestamp with time zone"),
        ("expires_at", "timestamp with time zone"), ("updated_at", "timestamp with time zone"),
    ];

    /// <summary>The column list of <see cref="Types"/>, for SQL.</summary>
    public static readonly string Columns = string.Join(", ", Types.Select(t => t.Column));

    public static string CopyInto(string table) => $"copy {table} ({Columns}) from stdin (format binary)";

    /// <summary>One row: a reserved order, updated when it was created.</summary>
    public static void Write(NpgsqlBinaryImporter importer, in AcceptedOrder order)
    {
        var created = FromUnixMs(order.CreatedAtUnixMs);
        importer.StartRow();
        importer.Write(order.OrderId, NpgsqlDbType.Uuid);
        importer.Write(order.SaleId, NpgsqlDbType.Uuid);
        importer.Write(order.UserId, NpgsqlDbType.Uuid);
        importer.Write(order.Quantity, NpgsqlDbType.Integer);
        importer.Write(order.UnitPriceCents / 100m, NpgsqlDbType.Numeric);
        importer.Write(order.UnitPriceCents * order.Quantity / 100m, NpgsqlDbType.Numeric);
        importer.Write("reserved", NpgsqlDbType.Text);
        importer.Write(order.IdempotencyKey, NpgsqlDbType.Text);
        importer.Write(created, NpgsqlDbType.TimestampTz);
        importer.Write(FromUnixMs(order.ExpiresAtUnixMs), NpgsqlDbType.TimestampTz);
        importer.Write(created, NpgsqlDbType.TimestampTz);
    }

    private static DateTime FromUnixMs(long ms) => new(DateTime.UnixEpoch.Ticks + (ms * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
}
