using BenchmarkDotNet.Attributes;
using FlashSale.Engine.Core;
using FlashSale.Engine.InProcess;
using FlashSale.Testing.Engine;

namespace FlashSale.Bench.Engine;

/// <summary>
/// Purchase decisions per second for ONE sale through the whole engine (intake, single loop, in-process authority,
/// no-op journal, pooled awaiters) with 1, 2 and 8 producers, against the cheapest possible stock counters: one
/// guarded by a lock and one decremented with Interlocked. Those baselines decide nothing else (no idempotency, no
/// per-user limit, no order), so they are the ceiling, not a competitor.
/// <para>
/// Every decision is an acceptance (stock = decisions, two keys per user, limit 2): the most expensive outcome,
/// which records the key, the user's units and hands an order to the journal. Each producer keeps a window of
/// requests in flight, as many concurrent HTTP requests do, so the loop sees real batches.
/// </para>
/// </summary>
[MemoryDiagnoser]
#pragma warning disable CA1001 // The engine is disposed in [GlobalCleanup]; BenchmarkDotNet owns the instance's lifetime.
public class EngineDecisionBenchmarks
#pragma warning restore CA1001
{
    private const int Decisions = 1 << 16;
    private const int Window = 512;

    private readonly Lock _gate = new();
    private SaleDefinition _sale = null!;
    private InProcessStockAuthority _authority = null!;
    private SaleEngine _engine = null!;
    private PurchaseRequest[] _requests = null!;
    private ValueTask<PurchaseDecision>[][] _windows = null!;
    private int _stock;

    [Params(1, 2, 8)]
    public int Producers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _sale = new SaleDefinition(Guid.NewGuid(), 1_999, Decisions, 2, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, 600, false);
        _authority = new InProcessStockAuthority();
        _authority.EnsureInitializedAsync(_sale, default).AsTask().GetAwaiter().GetResult();
        _engine = new SaleEngine(_sale, _authority, NoOpJournal.Instance, new SaleEngineOptions());
        _requests = new PurchaseRequest[Decisions];
        for (var i = 0; i < Decisions; i++)
        {
            _requests[i] = new PurchaseRequest(_sale.SaleId, new Guid(i / 2, 1, 2, new byte[8]), 1, $"idem-{i:x8}", Guid.CreateVersion7());
        }

        _windows = new ValueTask<PurchaseDecision>[Producers][];
        for (var p = 0; p < Producers; p++)
        {
            _windows[p] = new ValueTask<PurchaseDecision>[Window];
        }

        Engine(); // warm the pool and the authority's collections to their steady-state size
    }

    [GlobalCleanup]
    public void Cleanup() => _engine.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, OperationsPerInvoke = Decisions)]
    public int LockCounter()
    {
        _stock = Decisions;
        RunProducers(static (self, from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                lock (self._gate)
                {
                    if (self._stock >= 1)
                    {
                        self._stock--;
                    }
                }
            }
        });
        return _stock;
    }

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int InterlockedCounter()
    {
        _stock = Decisions;
        RunProducers(static (self, from, to) =>
        {
            for (var i = from; i < to; i++)
            {
                // Decrement, and give the unit back if that oversold: the usual lock-free counter.
                if (Interlocked.Decrement(ref self._stock) < 0)
                {
                    Interlocked.Increment(ref self._stock);
                }
            }
        });
        return _stock;
    }

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int Engine()
    {
        // The loop is idle between invocations (every request was awaited), so the reset races nothing.
        _authority.ResetSale(_sale);
        var tasks = new Task[Producers];
        var share = Decisions / Producers;
        for (var p = 0; p < Producers; p++)
        {
            tasks[p] = ProduceAsync(_windows[p], p * share, p == Producers - 1 ? Decisions : (p + 1) * share);
        }

        Task.WaitAll(tasks);
        return _engine.LastKnownRemainingStock;
    }

    private async Task ProduceAsync(ValueTask<PurchaseDecision>[] window, int from, int to)
    {
        await Task.Yield(); // run producers in parallel on the pool, not on the benchmark thread

        // A sliding window: at most Window requests of this producer in flight, the oldest awaited before a new one
        // is sent, like a fixed number of concurrent shoppers each buying again as soon as answered.
        for (var i = from; i < to; i++)
        {
            var slot = (i - from) % Window;
            if (i - from >= Window)
            {
                Check(await window[slot].ConfigureAwait(false));
            }

            // Kept in flight on purpose; each is awaited exactly once.
#pragma warning disable CA2012
            window[slot] = _engine.SubmitAsync(_requests[i]);
#pragma warning restore CA2012
        }

        for (var k = Math.Max(from, to - Window); k < to; k++)
        {
            Check(await window[(k - from) % Window].ConfigureAwait(false));
        }

        static void Check(PurchaseDecision decision)
        {
            if (decision.Status != PurchaseStatus.Accepted)
            {
                throw new InvalidOperationException($"Benchmark expects acceptances, got {decision.Status}.");
            }
        }
    }

    private void RunProducers(Action<EngineDecisionBenchmarks, int, int> body)
    {
        if (Producers == 1)
        {
            body(this, 0, Decisions);
            return;
        }

        var share = Decisions / Producers;
        Parallel.For(0, Producers, new ParallelOptions { MaxDegreeOfParallelism = Producers }, p =>
            body(this, p * share, p == Producers - 1 ? Decisions : (p + 1) * share));
    }
}

/// <summary>
/// The decision step alone, as the loop runs it: the in-process authority deciding batches of 1,024 requests, with
/// a sequential Interlocked counter over the same requests as the baseline. This is the batch-decision path the
/// 10 M decisions/s and zero-allocation targets apply to.
/// </summary>
[MemoryDiagnoser]
public class EngineBatchDecisionBenchmarks
{
    private const int Decisions = 1 << 16;
    private const int Batch = 1_024;

    private SaleDefinition _sale = null!;
    private InProcessStockAuthority _authority = null!;
    private PurchaseRequest[] _requests = null!;
    private PurchaseDecision[] _decisions = null!;
    private int _stock;

    [GlobalSetup]
    public void Setup()
    {
        _sale = new SaleDefinition(Guid.NewGuid(), 1_999, Decisions, 2, DateTimeOffset.UnixEpoch, DateTimeOffset.MaxValue, 600, false);
        _authority = new InProcessStockAuthority();
        _authority.EnsureInitializedAsync(_sale, default).AsTask().GetAwaiter().GetResult();
        _requests = new PurchaseRequest[Decisions];
        for (var i = 0; i < Decisions; i++)
        {
            _requests[i] = new PurchaseRequest(_sale.SaleId, new Guid(i / 2, 1, 2, new byte[8]), 1, $"idem-{i:x8}", Guid.CreateVersion7());
        }

        _decisions = new PurchaseDecision[Batch];
        InProcessAuthorityBatches();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Decisions)]
    public int InterlockedCounter()
    {
        _stock = Decisions;
        var requests = _requests;
        for (var i = 0; i < requests.Length; i++)
        {
            if (Interlocked.Add(ref _stock, -requests[i].Quantity) < 0)
            {
                Interlocked.Add(ref _stock, requests[i].Quantity);
            }
        }

        return _stock;
    }

    [Benchmark(OperationsPerInvoke = Decisions)]
    public int InProcessAuthorityBatches()
    {
        _authority.ResetSale(_sale);
        var nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (var i = 0; i < Decisions; i += Batch)
        {
            var pending = _authority.DecideAsync(_sale, _requests.AsMemory(i, Batch), _decisions, nowMs, default);
            if (!pending.IsCompletedSuccessfully)
            {
                throw new InvalidOperationException("The in-process authority decides synchronously.");
            }
        }

        return _decisions[Batch - 1].RemainingStock;
    }
}
