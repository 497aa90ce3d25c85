using System.Collections.Concurrent;
using FlashSale.Engine.Core;

namespace FlashSale.Tests.Engine;

/// <summary>Builders shared by the engine tests.</summary>
internal static class EngineTestKit
{
    public static readonly DateTimeOffset Epoch = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static SaleDefinition Sale(
        int stock = 100,
        int perUserLimit = 2,
        long unitPriceCents = 1_999,
        DateTimeOffset? startsAt = null,
        DateTimeOffset? endsAt = null,
        Guid? saleId = null) =>
        new(
            saleId ?? Guid.NewGuid(),
            unitPriceCents,
            stock,
            perUserLimit,
            startsAt ?? DateTimeOffset.MinValue.AddYears(1),
            endsAt ?? DateTimeOffset.MaxValue.AddYears(-1),
            PaymentWindowSeconds: 600,
            WaitingRoom: false);

    public static PurchaseRequest Request(SaleDefinition sale, Guid userId, string key, int quantity = 1) =>
        new(sale.SaleId, userId, quantity, key, Guid.CreateVersion7());

    public static SaleEngineOptions Options(int queueCapacity = 16_384, int batchLimit = 1_024, TimeSpan? knownSoldOutTtl = null) =>
        new()
        {
            QueueCapacity = queueCapacity,
            BatchLimit = batchLimit,
            KnownSoldOutTtl = knownSoldOutTtl ?? TimeSpan.Zero,
            RetirementSweepInterval = TimeSpan.Zero,
        };

    /// <summary>Waits (bounded) until a condition set by another thread holds.</summary>
    public static async Task Eventually(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out waiting for: {what}");
            await Task.Delay(1);
        }
    }
}

/// <summary>
/// In-memory <see cref="IOrderJournal"/>: records every commit call and, like PostgreSQL's
/// <c>ON CONFLICT (id) DO NOTHING</c>, keeps one row per order id. Can be told to fail.
/// </summary>
internal sealed class FakeOrderJournal : IOrderJournal
{
    private readonly Lock _gate = new();
    private readonly List<int> _batchSizes = [];
    private readonly Dictionary<Guid, AcceptedOrder> _rows = [];
    private readonly Dictionary<Guid, int> _writes = [];
    private volatile bool _failing;

    public bool Failing { get => _failing; set => _failing = value; }

    /// <summary>What a failing commit throws.</summary>
    public Func<Exception> Failure { get; set; } = () => new InvalidOperationException("journal down (test)");

    public int FailedCalls { get; private set; }

    public IReadOnlyList<int> BatchSizes { get { lock (_gate) { return [.. _batchSizes]; } } }

    public IReadOnlyDictionary<Guid, AcceptedOrder> Rows { get { lock (_gate) { return new Dictionary<Guid, AcceptedOrder>(_rows); } } }

    /// <summary>How many successful commits carried each order id.</summary>
    public IReadOnlyDictionary<Guid, int> Writes { get { lock (_gate) { return new Dictionary<Guid, int>(_writes); } } }

    public ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_failing)
            {
                FailedCalls++;
                throw Failure();
            }

            _batchSizes.Add(orders.Length);
            foreach (var order in orders.Span)
            {
                _rows.TryAdd(order.OrderId, order);
                _writes[order.OrderId] = _writes.GetValueOrDefault(order.OrderId) + 1;
            }
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>
/// Wraps an authority to observe and disturb it: records batch sizes, can hold a batch until released, can throw.
/// </summary>
internal sealed class ObservedAuthority(IStockAuthority inner) : IStockAuthority
{
    private readonly ConcurrentQueue<int> _batchSizes = new();
    private TaskCompletionSource? _gate;
    private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _ensureCalls;

    public IReadOnlyList<int> BatchSizes => [.. _batchSizes];

    public int DecideCalls => _batchSizes.Count;

    public int EnsureCalls => Volatile.Read(ref _ensureCalls);

    /// <summary>Thrown by every DecideAsync while set.</summary>
    public Func<Exception>? DecideFailure { get; set; }

    /// <summary>Makes the next DecideAsync wait until <see cref="Release"/>; the returned task completes when it waits.</summary>
    public Task HoldNextBatch()
    {
        _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        return _entered.Task;
    }

    public void Release() => Interlocked.Exchange(ref _gate, null)?.TrySetResult();

    public async ValueTask EnsureInitializedAsync(SaleDefinition sale, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _ensureCalls);
        await inner.EnsureInitializedAsync(sale, cancellationToken);
    }

    public async ValueTask DecideAsync(SaleDefinition sale, ReadOnlyMemory<PurchaseRequest> requests, Memory<PurchaseDecision> decisions, long nowUnixMs, CancellationToken cancellationToken)
    {
        _batchSizes.Enqueue(requests.Length);
        var gate = Volatile.Read(ref _gate);
        if (gate is not null)
        {
            _entered.TrySetResult();
            await gate.Task;
        }

        if (DecideFailure is { } failure)
        {
            throw failure();
        }

        await inner.DecideAsync(sale, requests, decisions, nowUnixMs, cancellationToken);
    }

    public ValueTask<bool> UpdateSaleAsync(SaleDefinition sale, CancellationToken cancellationToken) => inner.UpdateSaleAsync(sale, cancellationToken);

    public ValueTask<bool> ReturnUnitsAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken) =>
        inner.ReturnUnitsAsync(saleId, orderId, userId, quantity, cancellationToken);

    /// <summary>When set, the engine's "orders committed" call is dropped (as if the fire-and-forget XDEL was lost).</summary>
    public bool DropCommittedNotices { get; set; }

    /// <summary>Log positions the engine handed back after commits (dropped ones included).</summary>
    public int CommittedNotices => Volatile.Read(ref _committedNotices);

    private int _committedNotices;

    public void OrdersCommitted(Guid saleId, ReadOnlySpan<OrderLogPosition> positions)
    {
        Interlocked.Add(ref _committedNotices, positions.Length);
        if (!DropCommittedNotices)
        {
            inner.OrdersCommitted(saleId, positions);
        }
    }

    public ValueTask<int?> GetRemainingStockAsync(Guid saleId, CancellationToken cancellationToken) =>
        inner.GetRemainingStockAsync(saleId, cancellationToken);
}
