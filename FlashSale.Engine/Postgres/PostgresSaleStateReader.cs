using FlashSale.Engine.Core;
using Npgsql;

namespace FlashSale.Engine.Postgres;

/// <summary>Reads what the Redis stock authority needs to rebuild a sale's state from PostgreSQL.</summary>
public sealed class PostgresSaleStateReader(NpgsqlDataSource dataSource) : IDurableOrderSource
{
    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>
    /// Locks the sale's row (FOR UPDATE: after every journal commit holding it FOR KEY SHARE ended, and before any later
    /// one can take it), bumps its epoch and reads every order of the sale, in one transaction. READ COMMITTED gives the
    /// orders' statement a snapshot taken after the lock was granted, so it sees every commit that got in before.
    /// The line's journal (tickets, admissions, how far it moved) is read in the same transaction: its writes take the
    /// same lock FOR KEY SHARE and check the epoch, so none lands under the old epoch after this read.
    /// </summary>
    public async Task<DurableSaleSnapshot> BeginRebuildAsync(Guid saleId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        long epoch = 0;
        await using (var bump = new NpgsqlCommand(
            """
            with locked as (select id from flash_sales where id = $1 for update)
            update flash_sales s set epoch = s.epoch + 1 from locked where s.id = locked.id returning s.epoch
            """, connection, transaction))
        {
            bump.Parameters.Add(new NpgsqlParameter { Value = saleId });
            if (await bump.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is long bumped)
            {
                epoch = bumped;
            }
        }
        var orders = new List<DurableOrder>();
        await using (var read = new NpgsqlCommand(
            """
            select id, user_id, quantity, (unit_price * 100)::bigint, idempotency_key,
                   (extract(epoch from created_at) * 1000)::bigint, status
            from orders where flash_sale_id = $1
            """, connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = saleId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                orders.Add(new DurableOrder(
                    reader.GetGuid(0),
                    reader.GetGuid(1),
                    reader.GetInt32(2),
                    reader.GetInt64(3),
                    reader.GetString(4),
                    reader.GetInt64(5),
                    ParseStatus(reader.GetString(6))));
            }
        }
        var line = await ReadLineAsync(saleId, connection, transaction, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new DurableSaleSnapshot(epoch, orders, line);
    }

    private static async Task<DurableLine> ReadLineAsync(Guid saleId, NpgsqlConnection connection, NpgsqlTransaction transaction,
        CancellationToken cancellationToken)
    {
        long through = 0;
        var paused = false;
        long pauseVersion = 0;
        await using (var progress = new NpgsqlCommand("select through, paused, pause_version from line_progress where flash_sale_id = $1",
            connection, transaction))
        {
            progress.Parameters.Add(new NpgsqlParameter { Value = saleId });
            await using var reader = await progress.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                (through, paused, pauseVersion) = (reader.GetInt64(0), reader.GetBoolean(1), reader.GetInt64(2));
            }
        }
        var tickets = new List<DurableTicket>();
        await using (var read = new NpgsqlCommand(
            "select ticket, user_id, admitted_until_ms, abandoned from line_tickets where flash_sale_id = $1 order by ticket",
            connection, transaction))
        {
            read.Parameters.Add(new NpgsqlParameter { Value = saleId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                tickets.Add(new DurableTicket(reader.GetInt64(0), reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.GetBoolean(3)));
            }
        }
        var prequeue = DurablePrequeue.None;
        var entrants = new List<Guid>();
        await using (var pending = new NpgsqlCommand(
            """
            select s.prequeue_seconds > 0 and not exists (select 1 from line_draws d where d.flash_sale_id = s.id)
            from flash_sales s where s.id = $1
            """, connection, transaction))
        {
            pending.Parameters.Add(new NpgsqlParameter { Value = saleId });
            if (await pending.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true)
            {
                prequeue = tickets.Count == 0 ? DurablePrequeue.Open : DurablePrequeue.Closed;
            }
        }
        if (prequeue != DurablePrequeue.None)
        {
            await using var read = new NpgsqlCommand("select user_id from line_entrants where flash_sale_id = $1", connection, transaction);
            read.Parameters.Add(new NpgsqlParameter { Value = saleId });
            await using var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                entrants.Add(reader.GetGuid(0));
            }
        }
        return tickets.Count == 0 && through == 0 && prequeue == DurablePrequeue.None && pauseVersion == 0
            ? DurableLine.Empty
            : new DurableLine(through, tickets, prequeue, entrants, paused, pauseVersion);
    }

    /// <summary>The sale as the engine needs it, or null when PostgreSQL has no such sale.</summary>
    public async Task<SaleDefinition?> ReadSaleAsync(Guid saleId, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            select (sale_price * 100)::bigint, total_stock, per_user_limit, starts_at, ends_at,
                   payment_window_seconds, waiting_room, version
            from flash_sales where id = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = saleId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new SaleDefinition(
            saleId,
            reader.GetInt64(0),
            reader.GetInt32(1),
            reader.GetInt32(2),
            new DateTimeOffset(reader.GetDateTime(3), TimeSpan.Zero),
            new DateTimeOffset(reader.GetDateTime(4), TimeSpan.Zero),
            reader.GetInt32(5),
            reader.GetBoolean(6),
            reader.GetInt64(7));
    }

    private static DurableOrderStatus ParseStatus(string status) => status switch
    {
        "reserved" => DurableOrderStatus.Reserved,
        "paid" => DurableOrderStatus.Paid,
        "expired" => DurableOrderStatus.Expired,
        "cancelled" => DurableOrderStatus.Cancelled,
        _ => throw new InvalidDataException($"Unknown order status '{status}'."),
    };
}
