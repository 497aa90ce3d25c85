using System.Diagnostics;
using System.Net;
using Npgsql;
using NpgsqlTypes;

namespace FlashSale.Load.Cli;

/// <summary>
/// <c>prepare-history</c>: writes N past orders straight into a FlashSale database by binary COPY, so the issue's
/// history target ("the same figures with 5 million orders and 500,000 expired ones in the database") is one command
/// before a run. The orders belong to past sales that have ended (ids of their own, no live sale is touched): paid
/// ones with their 'paid' ledger row, expired ones already returned (their 'expired' and 'returned' rows, and
/// <c>returned_at</c> set), as a day of finished rushes leaves them. Only a PostgreSQL on this machine is accepted.
/// </summary>
internal static class HistoryCommand
{
    public static readonly OptionSpec[] Options =
    [
        new("postgres", true, "connection string of the host's database (loopback only), e.g. \"Host=127.0.0.1;Username=flashsale;Password=…;Database=flashsale\""),
        new("orders", true, "past orders to write (default 5000000)"),
        new("expired", true, "how many of them expired, units returned (default 500000)"),
        new("sales", true, "past sales the orders spread over (default 50)"),
        new("help", false, "show this help"),
    ];

    private const int Chunk = 100_000;

    public static async Task<int> RunAsync(ArgumentTokens t, TextWriter log, CancellationToken ct)
    {
        var connection = t.Value("postgres") ?? throw new UsageException("prepare-history needs --postgres \"<connection string>\"");
        var orders = t.Value("orders") is { } o ? ValueParsers.Count("orders", o, 1, 100_000_000) : 5_000_000;
        var expired = t.Value("expired") is { } e ? ValueParsers.Count("expired", e, 0, orders) : Math.Min(500_000, orders);
        var sales = t.Value("sales") is { } s ? ValueParsers.Count("sales", s, 1, 10_000) : 50;
        var builder = new NpgsqlConnectionStringBuilder(connection);
        if (!IsLoopback(builder.Host))
        {
            throw new UsageException($"--postgres: the host must be this machine (127.0.0.1, ::1 or localhost), not '{builder.Host}'");
        }

        await using var db = NpgsqlDataSource.Create(builder.ConnectionString);
        var saleIds = Enumerable.Range(0, sales).Select(_ => Guid.CreateVersion7()).ToArray();
        var clock = Stopwatch.StartNew();
        var now = DateTime.UtcNow;
        var random = new Random(20_261_129);
        log.WriteLine($"prepare-history: {orders:N0} past orders ({expired:N0} expired and returned) over {sales} past sales into {builder.Host}/{builder.Database}");
        for (var written = 0; written < orders; written += Chunk)
        {
            var count = Math.Min(Chunk, orders - written);
            await using var conn = await db.OpenConnectionAsync(ct);
            await using var tx = await conn.BeginTransactionAsync(ct);
            var rows = new (Guid Id, Guid Sale, bool Expired, DateTime At)[count];
            for (var i = 0; i < count; i++)
            {
                var index = written + i;
                rows[i] = (Guid.CreateVersion7(), saleIds[index % sales], index < expired, now.AddSeconds(-random.Next(3_600, 30 * 86_400)));
            }

            await using (var copy = await conn.BeginBinaryImportAsync(
                "copy orders (id, flash_sale_id, user_id, quantity, unit_price, total_price, status, idempotency_key, created_at, expires_at, updated_at, returned_at, journal_xact) from stdin (format binary)", ct))
            {
                foreach (var row in rows)
                {
                    await copy.StartRowAsync(ct);
                    await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(row.Sale, NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(Guid.NewGuid(), NpgsqlDbType.Uuid, ct);
                    await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                    await copy.WriteAsync(9.99m, NpgsqlDbType.Numeric, ct);
                    await copy.WriteAsync(9.99m, NpgsqlDbType.Numeric, ct);
                    await copy.WriteAsync(row.Expired ? "expired" : "paid", NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(row.Id.ToString("N"), NpgsqlDbType.Text, ct);
                    await copy.WriteAsync(row.At, NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(row.At.AddMinutes(10), NpgsqlDbType.TimestampTz, ct);
                    await copy.WriteAsync(row.At.AddMinutes(row.Expired ? 10 : 1), NpgsqlDbType.TimestampTz, ct);
                    if (row.Expired)
                    {
                        await copy.WriteAsync(row.At.AddMinutes(10), NpgsqlDbType.TimestampTz, ct);
                    }
                    else
                    {
                        await copy.WriteNullAsync(ct);
                    }

                    // No journal transaction: these orders' notices went out long ago. Left to the column's default,
                    // the host's reserved-notice feed would queue 5 million "reserved" notices during the next run.
                    await copy.WriteNullAsync(ct);
                }

                await copy.CompleteAsync(ct);
            }

            await using (var copy = await conn.BeginBinaryImportAsync(
                "copy inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at) from stdin (format binary)", ct))
            {
                foreach (var row in rows)
                {
                    foreach (var movement in row.Expired ? (string[])["expired", "returned"] : ["paid"])
                    {
                        await copy.StartRowAsync(ct);
                        await copy.WriteAsync(row.Sale, NpgsqlDbType.Uuid, ct);
                        await copy.WriteAsync(row.Id, NpgsqlDbType.Uuid, ct);
                        await copy.WriteAsync(movement, NpgsqlDbType.Text, ct);
                        await copy.WriteAsync(1, NpgsqlDbType.Integer, ct);
                        await copy.WriteAsync(row.At.AddMinutes(10), NpgsqlDbType.TimestampTz, ct);
                    }
                }

                await copy.CompleteAsync(ct);
            }

            await tx.CommitAsync(ct);
            log.WriteLine($"  {written + count:N0} orders ({clock.Elapsed.TotalSeconds:0} s)");
        }

        await using (var conn = await db.OpenConnectionAsync(ct))
        await using (var analyze = new NpgsqlCommand("analyze orders; analyze inventory_ledger", conn))
        {
            await analyze.ExecuteNonQueryAsync(ct);
        }

        log.WriteLine($"prepare-history: done in {clock.Elapsed.TotalSeconds:0} s ({orders / Math.Max(0.001, clock.Elapsed.TotalSeconds):N0} orders/s)");
        return 0;
    }

    private static bool IsLoopback(string? host) =>
        host is "localhost" || (IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip));
}
