using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace FlashSale.Engine.Core;

/// <summary>
/// One queued purchase and the awaiter its caller holds. Pooled per engine: the caller's
/// <see cref="GetResult"/> is the last touch of the object for that request, so it resets itself and goes back to the
/// pool there. A request therefore allocates neither a Task nor a TaskCompletionSource.
/// </summary>
internal sealed class PurchaseOperation : IValueTaskSource<PurchaseDecision>
{
    private readonly ConcurrentQueue<PurchaseOperation> _pool;
    private ManualResetValueTaskSourceCore<PurchaseDecision> _core;

    public PurchaseOperation(ConcurrentQueue<PurchaseOperation> pool)
    {
        _pool = pool;
        // The engine loop completes operations; running the shopper's continuation inline would make the loop
        // execute HTTP code between batches. Async continuations of an async method are queued to the thread pool
        // without an allocation (the runtime queues the state machine box itself).
        _core.RunContinuationsAsynchronously = true;
    }

    /// <summary>The request; written by the producer before the hand-off, read by the loop after it.</summary>
    public PurchaseRequest Request;

    public short Version => _core.Version;

    public ValueTask<PurchaseDecision> AsValueTask() => new(this, _core.Version);

    public void Complete(in PurchaseDecision decision) => _core.SetResult(decision);

    /// <summary>Returns an operation that was never handed to the loop (the intake refused it).</summary>
    public void Recycle()
    {
        Request = default;
        _pool.Enqueue(this);
    }

    public PurchaseDecision GetResult(short token)
    {
        // Throws on a stale token (a ValueTask awaited twice); nothing is recycled then.
        var result = _core.GetResult(token);
        Request = default;
        _core.Reset();
        _pool.Enqueue(this);
        return result;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
