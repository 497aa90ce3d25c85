using System.Threading.Channels;
using FlashSale.Engine.Core;
using Npgsql;
using NpgsqlTypes;

namespace FlashSale.Engine.Postgres;

/// <summary>
/// The waiting room's journal in PostgreSQL (<c>line_tickets</c>, <c>line_progress</c>): what a rebuild of a sale's
/// Redis state puts its line back from (<see cref="PostgresSaleStateReader"/>).
/// <para><see cref="AppendTicketsAsync"/> is a group commit, like the order journal's: callers (each sale's join desk,
/// one Lua call's fresh tickets at a time) queue their batch; one writer loop takes everything queued and writes it in
/// ONE transaction, one insert for all of it. It first locks the batches' sale rows FOR KEY SHARE and checks the epoch
/// each batch's tickets were handed out under: a batch whose sale was rebuilt meanwhile fails with
/// <see cref="SaleEpochMovedException"/> (the rebuilt line does not hold those tickets, so they must not be answered).
/// A ticket already present is left as it is: under one epoch only the admission step (which may admit a ticket
/// before its join's row commits) writes the same ticket of the same shopper.
/// When the transaction fails, each batch is retried alone, so one sale's failure fails only its own callers.</para>
/// <para><see cref="RecordStepAsync"/> writes one admission step (the lease holder's, a few per second per sale) in
/// its own transaction under the same fence.</para>
/// </summary>
public sealed class PostgresLineJournal : IAsyncDisposable
{
    private const string LockEpochs = "select id, epoch from flash_sales where id = any($1) for key share";

    private const string InsertTickets =
        """
        insert into line_tickets (flash_sale_id, ticket, user_id) select * from unnest($1::uuid[], $2::bigint[], $3::uuid[])
        on conflict (flash_sale_id, ticket) do nothing
        """;

    private const string InsertEntrants =
        "insert into line_entrants (flash_sale_id, user_id) select * from unnest($1::uuid[], $2::uuid[]) on conflict do nothing";

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _writer;

    public PostgresLineJournal(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _writer = Task.Run(WriteLoopAsync);
    }

    private sealed record Pending(Guid SaleId, long Epoch, IReadOnlyList<(Guid UserId, long Ticket)> Tickets, TaskCompletionSource Done);

    /// <summary>
    /// Journals tickets handed out under the sale state's <paramref name="epoch"/>; completes once they are committed.
    /// A ticket 0 is a pre-queue entry (<c>line_entrants</c>).
    /// Throws <see cref="SaleEpochMovedException"/> when the sale was rebuilt meanwhile, or what PostgreSQL threw.
    /// </summary>
    public Task AppendTicketsAsync(Guid saleId, long epoch, IReadOnlyList<(Guid UserId, long Ticket)> tickets)
    {
        ArgumentNullException.ThrowIfNull(tickets);
        if (tickets.Count == 0)
        {
            return Task.CompletedTask;
        }
        var pending = new Pending(saleId, epoch, tickets, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _queue.Writer.TryWrite(pending) ? pending.Done.Task : Task.FromException(new ObjectDisposedException(nameof(PostgresLineJournal)));
    }

    /// <summary>
    /// Journals one admission step of the sale, taken under its state's <paramref name="epoch"/>: the tickets it
    /// admitted (their window ends at <paramref name="deadlineUnixMs"/>), the tickets whose shoppers abandoned them,
    /// and how far the line moved (never backwards).
    /// </summary>
    public async Task RecordStepAsync(Guid saleId, long epoch, long through, long deadlineUnixMs, IReadOnlyList<(long Ticket, Guid UserId)> admitted,
        IReadOnlyList<long> abandoned, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(admitted);
        ArgumentNullException.ThrowIfNull(abandoned);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await CheckEpochsAsync(connection, transaction, [saleId], [epoch], null, cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            if (admitted.Count > 0)
            {
                // An upsert: the step may admit a ticket whose join is still being journaled (that insert then finds
                // this row and leaves it).
                batch.BatchCommands.Add(Command(
                    """
                    insert into line_tickets (flash_sale_id, ticket, user_id, admitted_until_ms)
                    select $1, t, u, $2 from unnest($3::bigint[], $4::uuid[]) as a(t, u)
                    on conflict (flash_sale_id, ticket) do update set admitted_until_ms = excluded.admitted_until_ms
                    """,
                    saleId, deadlineUnixMs, admitted.Select(a => a.Ticket).ToArray(), admitted.Select(a => a.UserId).ToArray()));
            }
            if (abandoned.Count > 0)
            {
                batch.BatchCommands.Add(Command("update line_tickets set abandoned = true where flash_sale_id = $1 and ticket = any($2)",
                    saleId, abandoned.ToArray()));
            }
            batch.BatchCommands.Add(Command(
                """
                insert into line_progress (flash_sale_id, through) values ($1, $2)
                on conflict (flash_sale_id) do update set through = greatest(line_progress.through, excluded.through)
                """, saleId, through));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Journals a pre-queue's draw, taken under the state's <paramref name="epoch"/>: ticket k to the k-th of
    /// <paramref name="drawn"/>, and the draw row (entrants, list digest, time) that makes the seed public. Idempotent:
    /// the same draw written twice (a retry, a second host after a lease change) leaves the first.
    /// </summary>
    public async Task RecordDrawAsync(Guid saleId, long epoch, IReadOnlyList<Guid> drawn, string listDigest, DateTimeOffset drawnAt,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(drawn);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await CheckEpochsAsync(connection, transaction, [saleId], [epoch], null, cancellationToken).ConfigureAwait(false);
        await using (var batch = new NpgsqlBatch(connection, transaction))
        {
            batch.BatchCommands.Add(Command(
                """
                insert into line_tickets (flash_sale_id, ticket, user_id)
                select $1, k, u from unnest($2::uuid[]) with ordinality as d(u, k)
                on conflict (flash_sale_id, ticket) do nothing
                """, saleId, drawn.ToArray()));
            batch.BatchCommands.Add(Command(
                "insert into line_draws (flash_sale_id, entrants, list_digest, drawn_at) values ($1, $2, $3, $4) on conflict do nothing",
                saleId, drawn.Count, listDigest, drawnAt.UtcDateTime));
            await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records an operator's pause (or resume) of the sale's line and returns its version, which grows with every write:
    /// Redis takes a pause only with a newer version than it holds (<see cref="Redis.RedisWaitingRoom.SetPausedAsync"/>), so
    /// two operators racing converge on the last one written here, and a rebuild after a Redis data loss restores it.
    /// Not fenced by the epoch: a pause is the operator's, not a state of Redis that a rebuild could replace.
    /// </summary>
    public async Task<long> SetPausedAsync(Guid saleId, bool paused, CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            """
            insert into line_progress (flash_sale_id, paused, pause_version) values ($1, $2, 1)
            on conflict (flash_sale_id) do update set paused = excluded.paused, pause_version = line_progress.pause_version + 1
            returning pause_version
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = saleId });
        command.Parameters.Add(new NpgsqlParameter { Value = paused });
        return (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
    }

    private static NpgsqlBatchCommand Command(string sql, params object[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }
        return command;
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            var rows = 0;
            while (rows < 50_000 && reader.TryRead(out var pending))
            {
                batch.Add(pending);
                rows += pending.Tickets.Count;
            }
            try
            {
                await WriteAsync(batch).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // the failure goes to the callers; the loop goes on
            catch (Exception)
#pragma warning restore CA1031
            {
                // Retried one batch per transaction: only the batch at fault fails.
                foreach (var pending in batch)
                {
                    if (pending.Done.Task.IsCompleted)
                    {
                        continue;
                    }
                    try
                    {
                        await WriteAsync([pending]).ConfigureAwait(false);
                    }
#pragma warning disable CA1031
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        pending.Done.TrySetException(e);
                    }
                }
            }
        }
    }

    /// <summary>Writes <paramref name="batch"/> in one transaction; batches whose sale's epoch moved fail alone.</summary>
    private async Task WriteAsync(IReadOnlyList<Pending> batch)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        var refused = new HashSet<Pending>();
        await CheckEpochsAsync(connection, transaction, batch.Select(p => p.SaleId).ToArray(), batch.Select(p => p.Epoch).ToArray(),
            i => refused.Add(batch[i]), CancellationToken.None).ConfigureAwait(false);
        var written = batch.Where(p => !refused.Contains(p)).ToList();
        var entries = written.SelectMany(p => p.Tickets.Where(t => t.Ticket == 0).Select(t => (p.SaleId, t.UserId))).ToList();
        var rows = written.SelectMany(p => p.Tickets.Where(t => t.Ticket != 0).Select(t => (p.SaleId, t.UserId, t.Ticket))).ToList();
        var count = rows.Count;
        var sales = rows.ConvertAll(r => r.SaleId).ToArray();
        var tickets = rows.ConvertAll(r => r.Ticket).ToArray();
        var users = rows.ConvertAll(r => r.UserId).ToArray();
        if (entries.Count > 0)
        {
            await using var insert = new NpgsqlCommand(InsertEntrants, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = entries.ConvertAll(e => e.SaleId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = entries.ConvertAll(e => e.UserId).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        if (count > 0)
        {
            await using var insert = new NpgsqlCommand(InsertTickets, connection, transaction);
            insert.Parameters.Add(new NpgsqlParameter { Value = sales, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            insert.Parameters.Add(new NpgsqlParameter { Value = tickets, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
            insert.Parameters.Add(new NpgsqlParameter { Value = users, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
        await transaction.CommitAsync().ConfigureAwait(false);
        foreach (var pending in batch)
        {
            if (refused.Contains(pending))
            {
                pending.Done.TrySetException(new SaleEpochMovedException(pending.SaleId, pending.Epoch, -1));
            }
            else
            {
                pending.Done.TrySetResult();
            }
        }
    }

    /// <summary>
    /// Locks the sales' rows FOR KEY SHARE (a rebuild's FOR UPDATE waits for this transaction, and a later write waits
    /// for the rebuild) and checks each entry's epoch. A mismatch calls <paramref name="refuse"/> with the entry's index,
    /// or throws <see cref="SaleEpochMovedException"/> when there is none.
    /// </summary>
    private static async Task CheckEpochsAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid[] sales, long[] epochs,
        Action<int>? refuse, CancellationToken cancellationToken)
    {
        var current = new Dictionary<Guid, long>();
        await using (var command = new NpgsqlCommand(LockEpochs, connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter { Value = sales.Distinct().ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                current[reader.GetGuid(0)] = reader.GetInt64(1);
            }
        }
        for (var i = 0; i < sales.Length; i++)
        {
            var epoch = current.GetValueOrDefault(sales[i]);
            if (epoch == epochs[i])
            {
                continue;
            }
            if (refuse is null)
            {
                throw new SaleEpochMovedException(sales[i], epochs[i], epoch);
            }
            refuse(i);
        }
    }
}
