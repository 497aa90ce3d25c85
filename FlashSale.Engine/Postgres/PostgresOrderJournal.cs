using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Threading.Tasks.Sources;
using FlashSale.Engine.Core;
using Npgsql;

namespace FlashSale.Engine.Postgres;

/// <summary>Settings of <see cref="PostgresOrderJournal"/>.</summary>
public sealed record PostgresOrderJournalOptions
{
    /// <summary>A commit takes queued batches until it holds at least this many rows (a batch is never split).</summary>
    public int MaxRowsPerCommit { get; init; } = 50_000;

    /// <summary>
    /// When a commit would start with fewer than <see cref="LingerBelowRows"/> rows, wait this long first to gather
    /// more. Zero never waits: under load batches pile up while the previous commit runs anyway.
    /// </summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    /// <summary>See <see cref="Linger"/>.</summary>
    public int LingerBelowRows { get; init; } = 256;

    /// <summary>
    /// Writer loops, each with its own connection and transaction: while one commits (waiting for the WAL flush)
    /// another fills the next transaction.
    /// </summary>
    public int Writers { get; init; } = 2;

    /// <summary>
    /// Try binary COPY straight into the tables first (about twice as fast); a commit that meets an order already
    /// present is redone through the staging table. False always goes through the staging table.
    /// </summary>
    public bool DirectCopy { get; init; } = true;
}

/// <summary>
/// Group commit of accepted orders of every sale: <see cref="CommitAsync"/> queues the caller's batch and awaits a
/// pooled completion; each writer loop (<see cref="PostgresOrderJournalOptions.Writers"/>, own connection) takes
/// everything queued up to a row limit and writes it in ONE transaction:
/// <list type="number">
/// <item>the fence: lock the rows of the batches' sales in <c>flash_sales</c> (FOR KEY SHARE, which commits do not
/// contend on) and check the epoch each order was decided under; a batch whose sale's epoch moved (a rebuild of the
/// sale's Redis state read PostgreSQL without it) fails with <see cref="SaleEpochMovedException"/> and is not written.
/// The rebuild locks the row FOR UPDATE, so it waits for this transaction and any later commit waits for it;</item>
/// <item>binary COPY straight into <c>orders</c>; when an order of that commit is already present (a replay from the
/// reconciler or a repeated Idempotency-Key) the transaction fails on the primary key and the commit is redone the
/// idempotent way: binary COPY into a temporary staging table, then <c>insert … on conflict (id) do nothing returning
/// id</c>. Only the primary key is a conflict target: any other unique conflict (the same shopper's Idempotency-Key
/// under another order id) fails the batch loudly. An order the insert skipped must already be there with the same
/// sale and shopper, else the batch fails (<see cref="OrderConflictException"/>): nothing is answered 201 for a row
/// this commit neither inserted nor found.</item>
/// </list>
/// Nothing else: an order's "reserved" notice is derived from its row afterwards, off the purchase path (each row
/// carries its transaction's id, <c>orders.journal_xact</c>; <see cref="ReservationNoticeFeed"/>), so a commit costs
/// the same with notifications on as off.
/// When the transaction fails on one batch's data (a value the table refuses, a conflict), the commit is redone one
/// batch per transaction, so one sale's bad order fails only its own callers. The reservation is the order row
/// itself: the inventory ledger records what happens to a sale's units afterwards (paid, expired, cancelled,
/// returned), so the hot path writes one row per order. Every waiter is completed after its COMMIT returned.
/// </summary>
public sealed class PostgresOrderJournal : IOrderJournal, IOrderLookup, IAsyncDisposable
{
    private const string CreateStaging = "create temporary table if not exists order_staging (like orders) on commit delete rows";

    private const string LockEpochs = "select id, epoch from flash_sales where id = any($1) for key share";

    private const string FindPresent = "select id, flash_sale_id, user_id from orders where id = any($1)";

    private static readonly string CopyStaging = OrderRow.CopyInto("order_staging");

    private static readonly string CopyOrders = OrderRow.CopyInto("orders");

    private static readonly string Insert =
        $"insert into orders ({OrderRow.Columns}) select {OrderRow.Columns} from order_staging on conflict (id) do nothing returning id";

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresOrderJournalOptions _options;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false });
    private readonly ConcurrentQueue<Waiter> _pool = new();
    private readonly Task[] _writers;
    private long _inserted;
    private long _commits;
    private long _fallbacks;
    private long _isolated;

    public PostgresOrderJournal(NpgsqlDataSource dataSource, PostgresOrderJournalOptions? options = null)
    {
        _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));
        _options = options ?? new PostgresOrderJournalOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxRowsPerCommit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.Writers, 1);
        _writers = new Task[_options.Writers];
        for (var i = 0; i < _writers.Length; i++)
        {
            _writers[i] = Task.Run(WriteLoopAsync);
        }
    }

    /// <summary>Orders this journal inserted (replays of orders already present are not counted).</summary>
    public long InsertedOrders => Interlocked.Read(ref _inserted);

    /// <summary>Transactions this journal committed.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Commits that met an order already present and went the staging way.</summary>
    public long StagedCommits => Interlocked.Read(ref _fallbacks);

    /// <summary>Commits that failed on one batch's orders and were redone one batch per transaction.</summary>
    public long IsolatedCommits => Interlocked.Read(ref _isolated);

    /// <summary>
    /// Returns once every order of <paramref name="orders"/> is committed. The memory must stay untouched until
    /// then. Cancellation is observed only before the batch is queued: a queued batch is committed or failed.
    /// </summary>
    public ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
    {
        if (orders.IsEmpty)
        {
            return ValueTask.CompletedTask;
        }
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }
        if (!_pool.TryDequeue(out var waiter))
        {
            waiter = new Waiter(_pool);
        }
        var task = waiter.Task;
        if (!_queue.Writer.TryWrite(new Pending(orders, waiter)))
        {
            _pool.Enqueue(waiter);
            return ValueTask.FromException(new ObjectDisposedException(nameof(PostgresOrderJournal)));
        }
        return task;
    }

    /// <summary>Which of <paramref name="orderIds"/> PostgreSQL already holds (lets the reconciler skip them).</summary>
    public async Task<HashSet<Guid>> FindExistingAsync(IReadOnlyCollection<Guid> orderIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(orderIds);
        var existing = new HashSet<Guid>();
        if (orderIds.Count == 0)
        {
            return existing;
        }
        await using var command = _dataSource.CreateCommand("select id from orders where id = any($1)");
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. orderIds] });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            existing.Add(reader.GetGuid(0));
        }
        return existing;
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await Task.WhenAll(_writers).ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        var batch = new List<Pending>();
        var writer = new WriterState();
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            var rows = Drain(reader, batch, 0);
            if (rows == 0)
            {
                continue; // another writer took it
            }
            if (rows < _options.LingerBelowRows && _options.Linger > TimeSpan.Zero)
            {
                await Task.Delay(_options.Linger).ConfigureAwait(false);
                rows = Drain(reader, batch, rows);
            }
            Exception? failure = null;
            try
            {
                writer.Connection ??= await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var inserted = await FlushAsync(writer, batch).ConfigureAwait(false);
                EngineMetrics.JournalDuration.Record(EngineMetrics.MillisecondsSince(start));
                EngineMetrics.JournalRows.Record(rows);
                Interlocked.Add(ref _inserted, inserted);
                Interlocked.Increment(ref _commits);
            }
#pragma warning disable CA1031 // every waiter of the failed commit gets the exception
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
                await ResetAsync(writer).ConfigureAwait(false);
            }
            foreach (var pending in batch)
            {
                pending.Waiter.Complete(failure);
            }
            batch.Clear();
        }
        await CloseAsync(writer.Connection).ConfigureAwait(false);
    }

    private int Drain(ChannelReader<Pending> reader, List<Pending> batch, int rows)
    {
        while (rows < _options.MaxRowsPerCommit && reader.TryRead(out var pending))
        {
            batch.Add(pending);
            rows += pending.Orders.Length;
        }
        return rows;
    }

    /// <summary>
    /// Every batch in one transaction; when that fails on one batch's data (class 22 data exception, class 23 integrity
    /// violation other than a replay, an <see cref="OrderConflictException"/>), each batch again in a transaction of its
    /// own, so the others commit and only the failing batch's callers get its exception.
    /// </summary>
    private async Task<int> FlushAsync(WriterState writer, List<Pending> batch)
    {
        try
        {
            return await FlushRangeAsync(writer, batch, 0, batch.Count).ConfigureAwait(false);
        }
        catch (Exception e) when (batch.Count > 1 && IsBatchLevel(e))
        {
            Interlocked.Increment(ref _isolated);
        }
        var inserted = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].Waiter.Refusal is not null)
            {
                continue;
            }
            try
            {
                writer.Connection ??= await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
                inserted += await FlushRangeAsync(writer, batch, i, 1).ConfigureAwait(false);
            }
#pragma warning disable CA1031 // this batch's callers get the exception; the next batch goes on
            catch (Exception e)
#pragma warning restore CA1031
            {
                batch[i].Waiter.Refusal = e;
                if (!IsBatchLevel(e))
                {
                    await ResetAsync(writer).ConfigureAwait(false);
                }
            }
        }
        return inserted;
    }

    private static bool IsBatchLevel(Exception e) =>
        e is OrderConflictException
        || (e is PostgresException pg && (pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("23", StringComparison.Ordinal)));

    /// <summary>
    /// The fast way first: binary COPY straight into <c>orders</c>. When an order of the commit is already there (a
    /// replay: reconciler, repeated Idempotency-Key) that transaction fails on the primary key and the commit goes the
    /// staging way, which skips what is present. A deadlock between two writers holding the same order id is retried
    /// the staging way as well.
    /// </summary>
    private async Task<int> FlushRangeAsync(WriterState writer, List<Pending> batch, int start, int count)
    {
        if (_options.DirectCopy)
        {
            try
            {
                return await DirectAsync(writer, batch, start, count).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected
                || (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName == "orders_pkey"))
            {
                Interlocked.Increment(ref _fallbacks);
            }
        }
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                if (!writer.Staging)
                {
                    await using var create = new NpgsqlCommand(CreateStaging, writer.Connection);
                    await create.ExecuteNonQueryAsync().ConfigureAwait(false);
                    writer.Staging = true;
                }
                return await StagedAsync(writer, batch, start, count).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
            }
        }
    }

    private static async Task<int> DirectAsync(WriterState writer, List<Pending> batch, int start, int count)
    {
        var connection = writer.Connection!;
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await CheckEpochsAsync(writer, batch, start, count, transaction).ConfigureAwait(false);
        var rows = await CopyAsync(connection, CopyOrders, OrderRow.Write, batch, start, count).ConfigureAwait(false);
        await transaction.CommitAsync().ConfigureAwait(false);
        return rows;
    }

    private delegate void RowWriter(NpgsqlBinaryImporter importer, in AcceptedOrder order);

    /// <summary>One binary COPY of a row per order of batches [start, start + count) not refused yet; returns the rows.</summary>
    private static async Task<int> CopyAsync(NpgsqlConnection connection, string copy, RowWriter write, List<Pending> batch, int start, int count)
    {
        var rows = 0;
        await using var importer = await connection.BeginBinaryImportAsync(copy).ConfigureAwait(false);
        for (var i = start; i < start + count; i++)
        {
            if (batch[i].Waiter.Refusal is not null)
            {
                continue;
            }
            foreach (var order in batch[i].Orders.Span)
            {
                // Synchronous writes: they only touch the connection's buffer until it fills (then one send).
                write(importer, order);
                rows++;
            }
        }
        await importer.CompleteAsync().ConfigureAwait(false);
        return rows;
    }

    private static async Task<int> StagedAsync(WriterState writer, List<Pending> batch, int start, int count)
    {
        var connection = writer.Connection!;
        await using var transaction = await connection.BeginTransactionAsync().ConfigureAwait(false);
        await CheckEpochsAsync(writer, batch, start, count, transaction).ConfigureAwait(false);
        await CopyAsync(connection, CopyStaging, OrderRow.Write, batch, start, count).ConfigureAwait(false);
        var inserted = writer.Inserted;
        inserted.Clear();
        await using (var insert = new NpgsqlCommand(Insert, connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync().ConfigureAwait(false))
        {
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                inserted.Add(reader.GetGuid(0));
            }
        }
        await CheckSkippedAsync(writer, batch, start, count, transaction).ConfigureAwait(false);
        await transaction.CommitAsync().ConfigureAwait(false);
        return inserted.Count;
    }

    /// <summary>
    /// Locks the rows of the sales of batches [start, start + count) and refuses every batch holding an order decided
    /// under another epoch than its sale's current one. A sale without a row keeps epoch 0.
    /// </summary>
    private static async Task CheckEpochsAsync(WriterState writer, List<Pending> batch, int start, int count, NpgsqlTransaction transaction)
    {
        var sales = writer.Sales;
        sales.Clear();
        for (var i = start; i < start + count; i++)
        {
            if (batch[i].Waiter.Refusal is null)
            {
                foreach (var order in batch[i].Orders.Span)
                {
                    sales.Add(order.SaleId);
                }
            }
        }
        var epochs = writer.Epochs;
        epochs.Clear();
        await using (var command = new NpgsqlCommand(LockEpochs, transaction.Connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. sales] });
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                epochs[reader.GetGuid(0)] = reader.GetInt64(1);
            }
        }
        for (var i = start; i < start + count; i++)
        {
            if (batch[i].Waiter.Refusal is not null)
            {
                continue;
            }
            foreach (var order in batch[i].Orders.Span)
            {
                var current = epochs.GetValueOrDefault(order.SaleId);
                if (current != order.SaleEpoch)
                {
                    batch[i].Waiter.Refusal = new SaleEpochMovedException(order.SaleId, order.SaleEpoch, current);
                    break;
                }
            }
        }
    }

    /// <summary>
    /// Every order the insert skipped must already be in <c>orders</c> under its id for the same sale and shopper (a
    /// replay); anything else means the commit would answer 201 for a row it did not write: fail instead.
    /// </summary>
    private static async Task CheckSkippedAsync(WriterState writer, List<Pending> batch, int start, int count, NpgsqlTransaction transaction)
    {
        var skipped = writer.Skipped;
        skipped.Clear();
        for (var i = start; i < start + count; i++)
        {
            if (batch[i].Waiter.Refusal is not null)
            {
                continue;
            }
            foreach (var order in batch[i].Orders.Span)
            {
                if (!writer.Inserted.Contains(order.OrderId))
                {
                    skipped[order.OrderId] = (order.SaleId, order.UserId);
                }
            }
        }
        if (skipped.Count == 0)
        {
            return;
        }
        var found = 0;
        await using (var command = new NpgsqlCommand(FindPresent, transaction.Connection, transaction))
        {
            command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. skipped.Keys] });
            await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false))
            {
                var id = reader.GetGuid(0);
                if (skipped[id] != (reader.GetGuid(1), reader.GetGuid(2)))
                {
                    throw new OrderConflictException(id);
                }
                found++;
            }
        }
        if (found != skipped.Count)
        {
            throw new OrderConflictException(skipped.Keys.First());
        }
    }

    private static async Task ResetAsync(WriterState writer)
    {
        await CloseAsync(writer.Connection).ConfigureAwait(false);
        writer.Connection = null;
        writer.Staging = false;
    }

    private static async Task CloseAsync(NpgsqlConnection? connection)
    {
        if (connection is null)
        {
            return;
        }
        try
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // a broken connection may fail to close; the next commit opens a new one
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>A writer loop's connection and the collections it reuses commit after commit.</summary>
    private sealed class WriterState
    {
        public NpgsqlConnection? Connection { get; set; }

        public bool Staging { get; set; }

        public HashSet<Guid> Sales { get; } = [];

        public Dictionary<Guid, long> Epochs { get; } = [];

        public HashSet<Guid> Inserted { get; } = [];

        public Dictionary<Guid, (Guid SaleId, Guid UserId)> Skipped { get; } = [];
    }

    private readonly record struct Pending(ReadOnlyMemory<AcceptedOrder> Orders, Waiter Waiter);

    /// <summary>A reusable completion: one per in-flight <see cref="CommitAsync"/>, back to the pool once awaited.</summary>
    private sealed class Waiter(ConcurrentQueue<Waiter> pool) : IValueTaskSource
    {
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public ValueTask Task => new(this, _core.Version);

        /// <summary>Why this batch alone was not committed (its sale's epoch moved, its own data failed); set by the writer.</summary>
        public Exception? Refusal { get; set; }

        /// <summary>Completes with this batch's own refusal, else with the commit's failure, else successfully.</summary>
        public void Complete(Exception? failure)
        {
            var outcome = Refusal ?? failure;
            Refusal = null;
            if (outcome is null)
            {
                _core.SetResult(true);
            }
            else
            {
                _core.SetException(outcome);
            }
        }

        public void GetResult(short token)
        {
            try
            {
                _core.GetResult(token);
            }
            finally
            {
                _core.Reset();
                pool.Enqueue(this);
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
