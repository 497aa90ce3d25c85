using BenchmarkDotNet.Attributes;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Testing.Engine;
using StackExchange.Redis;

namespace FlashSale.Bench;

/// <summary>
/// The Redis stock authority: one Lua call for a batch of N purchases against one call per purchase (awaited one
/// after another, and all N in flight at once). Real Redis (FLASHSALE_BENCH_REDIS, default 127.0.0.1:6379); every
/// case uses a fresh sale whose keys are deleted afterwards. Each request is a new (user, Idempotency-Key) pair,
/// so every one is a real decision (accept, decrement, record, XADD), never a replay.
/// </summary>
[MemoryDiagnoser]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "BenchmarkDotNet disposes in [GlobalCleanup].")]
public class RedisLuaBatchBenchmarks
{
    private const int Users = 4_096;
    private const int KeyCount = 65_536;

    private ConnectionMultiplexer _redis = null!;
    private RedisStockAuthority _authority = null!;
    private SaleDefinition _sale = null!;
    private Guid[] _users = null!;
    private string[] _keys = null!;
    private PurchaseRequest[] _batch = null!;
    private PurchaseDecision[] _decisions = null!;
    private PurchaseRequest[][] _singles = null!;
    private PurchaseDecision[][] _singleDecisions = null!;
    private ValueTask[] _inFlight = null!;
    private long _sequence;

    [Params(1, 16, 128)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var address = Environment.GetEnvironmentVariable("FLASHSALE_BENCH_REDIS") ?? "127.0.0.1:6379";
        _redis = await ConnectionMultiplexer.ConnectAsync(address);
        // The benchmark's sale is new: its durable state is empty, no PostgreSQL needed.
        _authority = new RedisStockAuthority(_redis, FixedDurableOrders.None,
            new FlashSaleRedisOptions { SalesSetKey = "flashsale:bench:sales" });
        await _authority.LoadScriptsAsync();
        _sale = new SaleDefinition(Guid.CreateVersion7(), 1999, 1_000_000_000, 1_000_000_000,
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), 600, false);
        await _authority.EnsureInitializedAsync(_sale, CancellationToken.None);
        _users = Enumerable.Range(0, Users).Select(_ => Guid.NewGuid()).ToArray();
        _keys = Enumerable.Range(0, KeyCount).Select(i => "bench-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        _batch = new PurchaseRequest[BatchSize];
        _decisions = new PurchaseDecision[BatchSize];
        _singles = Enumerable.Range(0, BatchSize).Select(_ => new PurchaseRequest[1]).ToArray();
        _singleDecisions = Enumerable.Range(0, BatchSize).Select(_ => new PurchaseDecision[1]).ToArray();
        _inFlight = new ValueTask[BatchSize];
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        var db = _redis.GetDatabase();
        await db.KeyDeleteAsync([.. RedisSaleKeys.For(_sale.SaleId).All]);
        await db.SetRemoveAsync("flashsale:bench:sales", _sale.SaleId.ToString("D"));
        await _redis.DisposeAsync();
    }

    private PurchaseRequest Next()
    {
        var s = _sequence++;
        return new PurchaseRequest(_sale.SaleId, _users[s % Users], 1, _keys[(s / Users) % KeyCount], Guid.CreateVersion7());
    }

    [Benchmark(Baseline = true, Description = "one Lua call per request, sequential")]
    public async Task OneCallPerRequestSequential()
    {
        for (var i = 0; i < BatchSize; i++)
        {
            _singles[i][0] = Next();
            await _authority.DecideAsync(_sale, _singles[i], _singleDecisions[i], NowMs(), CancellationToken.None);
        }
    }

    [Benchmark(Description = "one Lua call per request, all in flight")]
    public async Task OneCallPerRequestPipelined()
    {
        var now = NowMs();
        for (var i = 0; i < BatchSize; i++)
        {
            _singles[i][0] = Next();
#pragma warning disable CA2012 // each stored ValueTask is awaited exactly once just below
            _inFlight[i] = _authority.DecideAsync(_sale, _singles[i], _singleDecisions[i], now, CancellationToken.None);
#pragma warning restore CA2012
        }
        for (var i = 0; i < BatchSize; i++)
        {
            await _inFlight[i];
        }
    }

    [Benchmark(Description = "one Lua call per batch")]
    public async Task OneCallPerBatch()
    {
        for (var i = 0; i < BatchSize; i++)
        {
            _batch[i] = Next();
        }
        await _authority.DecideAsync(_sale, _batch, _decisions, NowMs(), CancellationToken.None);
    }

    private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
