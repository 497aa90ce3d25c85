using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using Npgsql;

namespace FlashSale.Bench;

/// <summary>
/// Writing a batch of accepted orders to PostgreSQL: multi-row INSERT (1,000 rows per statement, one transaction)
/// against binary COPY straight into <c>orders</c>, and against the order journal's whole path (group commit, binary
/// COPY into <c>orders</c> in one transaction; or, when a replay is in the commit, binary COPY into a staging table and
/// <c>insert … on conflict do nothing</c>), alone and followed by the feed pass that queues the orders' "reserved"
/// notices (issue 16: the commit no longer writes them; the host's feeder derives them from the committed orders off
/// the purchase path, <see cref="ReservationNoticeFeed"/>): the difference is the total PostgreSQL work notifications
/// add per order, which the purchase no longer waits for. Real PostgreSQL
/// (FLASHSALE_BENCH_POSTGRES, default the flashsale account on 127.0.0.1:5432); the suite creates its own database
/// and drops it afterwards. Every invocation writes new order ids.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes in [GlobalCleanup].")]
public class PostgresOrderCopyBenchmarks
{
    private const int InsertChunk = 1_000;

    private string _admin = "";
    private string _database = "";
    private NpgsqlDataSource _dataSource = null!;
    private PostgresOrderJournal _journal = null!;
    private PostgresOrderJournal _stagedJournal = null!;
    private AcceptedOrder[] _orders = null!;
    private readonly Guid _sale = Guid.CreateVersion7();
    private long _sequence;

    // 100: the size of a journal commit under a steady purchase storm, where a commit's round trips weigh most.
    [Params(100, 1_000, 10_000)]
    public int Rows { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        _admin = Environment.GetEnvironmentVariable("FLASHSALE_BENCH_POSTGRES")
            ?? "Host=127.0.0.1;Port=5432;Username=flashsale;Password=flashsale;Database=flashsale";
        _database = $"flashsale_bench_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(_admin))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {_database}", admin);
            await create.ExecuteNonQueryAsync();
        }
        _dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_admin) { Database = _database }.ConnectionString);
        // The real schema, by the host's own migrations: the benchmark measures the tables and indexes in production.
        await FlashSale.Host.Infrastructure.Persistence.MigrationRunner.ApplyAsync(_dataSource, CancellationToken.None);
        _journal = new PostgresOrderJournal(_dataSource);
        _stagedJournal = new PostgresOrderJournal(_dataSource, new PostgresOrderJournalOptions { DirectCopy = false, Writers = 1 });
        _orders = new AcceptedOrder[Rows];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _journal.DisposeAsync();
        await _stagedJournal.DisposeAsync();
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_admin);
        await admin.OpenAsync();
        // An autovacuum worker may still be in the database (heavy inserts wake it); a non-superuser cannot
        // terminate it, so wait for it to finish.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var drop = new NpgsqlCommand($"drop database if exists {_database} with (force)", admin);
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege && attempt < 60)
            {
                await Task.Delay(500);
            }
        }
    }

    /// <summary>Fresh, increasing order and user ids for the next batch (a few ns per row, the same for every method).</summary>
    private AcceptedOrder[] NextOrders()
    {
        var created = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < _orders.Length; i++)
        {
            var n = ++_sequence;
            _orders[i] = new AcceptedOrder(
                new Guid((int)(n >> 32), (short)(n >> 16), (short)n, 1, 0, 0, 0, 0, 0, 0, 0),
                _sale,
                new Guid((int)(n >> 32), (short)(n >> 16), (short)n, 2, 0, 0, 0, 0, 0, 0, 0),
                1,
                1999,
                "k",
                created,
                created + 600_000);
        }
        return _orders;
    }

    [Benchmark(Baseline = true, Description = "multi-row INSERT (1,000 rows per statement)")]
    public async Task MultiRowInsert()
    {
        var orders = NextOrders();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        for (var start = 0; start < orders.Length; start += InsertChunk)
        {
            var count = Math.Min(InsertChunk, orders.Length - start);
            var sql = new StringBuilder($"insert into orders ({OrderRow.Columns}) values ");
            await using var command = new NpgsqlCommand { Connection = connection, Transaction = transaction };
            for (var i = 0; i < count; i++)
            {
                var o = orders[start + i];
                var p = i * 8;
                if (i > 0)
                {
                    sql.Append(',');
                }
                sql.Append(CultureInfo.InvariantCulture,
                    $"(${p + 1}, ${p + 2}, ${p + 3}, ${p + 4}, ${p + 5}, ${p + 5} * ${p + 4}, 'reserved', ${p + 6}, ${p + 7}, ${p + 8}, ${p + 7})");
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = o.OrderId });
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = o.SaleId });
                command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = o.UserId });
                command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = o.Quantity });
                command.Parameters.Add(new NpgsqlParameter<decimal> { TypedValue = o.UnitPriceCents / 100m });
                command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = o.IdempotencyKey });
                command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = FromUnixMs(o.CreatedAtUnixMs) });
                command.Parameters.Add(new NpgsqlParameter<DateTime> { TypedValue = FromUnixMs(o.ExpiresAtUnixMs) });
            }
            sql.Append(" on conflict do nothing");
            command.CommandText = sql.ToString();
            await command.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    [Benchmark(Description = "binary COPY straight into orders")]
    public async Task BinaryCopy()
    {
        var orders = NextOrders();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var importer = await connection.BeginBinaryImportAsync(OrderRow.CopyInto("orders"));
        foreach (var o in orders)
        {
            OrderRow.Write(importer, o);
        }
        await importer.CompleteAsync();
    }

    [Benchmark(Description = "order journal: COPY into orders (one caller)")]
    public async Task JournalCommit() => await _journal.CommitAsync(NextOrders(), CancellationToken.None);

    [Benchmark(Description = "order journal with reserved notices: the commit, then the feed pass that queues its notices (one caller)")]
    public async Task JournalCommitWithNotices()
    {
        await _journal.CommitAsync(NextOrders(), CancellationToken.None);
        await ReservationNoticeFeed.FeedOnceAsync(_dataSource, CancellationToken.None);
    }

    [Benchmark(Description = "order journal, staging only: COPY to staging + insert on conflict")]
    public async Task JournalCommitStaged() => await _stagedJournal.CommitAsync(NextOrders(), CancellationToken.None);

    [Benchmark(Description = "order journal: the same rows from 10 concurrent callers (2 writers)")]
    public async Task JournalCommitTenCallers()
    {
        var orders = NextOrders();
        var share = orders.Length / 10;
        var commits = new Task[10];
        for (var i = 0; i < 10; i++)
        {
            commits[i] = _journal.CommitAsync(orders.AsMemory(i * share, share), CancellationToken.None).AsTask();
        }
        await Task.WhenAll(commits);
    }

    private static DateTime FromUnixMs(long ms) => new(DateTime.UnixEpoch.Ticks + (ms * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
}
