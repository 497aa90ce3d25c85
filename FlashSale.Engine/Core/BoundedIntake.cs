using System.Threading.Channels;

namespace FlashSale.Engine.Core;

internal enum IntakeWriteResult : byte
{
    Written,
    Full,
    Closed,
}

/// <summary>
/// A many-writer, single-reader queue with a hard capacity that never takes a lock. The BCL's bounded channel
/// guards every write with a monitor; its single-reader unbounded channel is lock-free (a ConcurrentQueue plus a
/// pooled waiter), so the bound is kept here by an admission counter instead: a writer claims a slot with one
/// Interlocked increment before it writes, and the reader releases a whole batch of slots with one Interlocked add.
/// Memory is therefore bounded by the capacity exactly as with a bounded channel, and a full queue is a cheap
/// read of the counter.
/// </summary>
internal sealed class BoundedIntake<T>
    where T : class
{
    private readonly Channel<T> _channel = Channel.CreateUnbounded<T>(new UnboundedChannelOptions
    {
        SingleReader = true,
        SingleWriter = false,
        // The reader's continuation must not run on a producer's thread (a request thread would end up running the
        // whole batch); completions are queued to the thread pool instead.
        AllowSynchronousContinuations = false,
    });

    private readonly int _capacity;
    private int _count;

    public BoundedIntake(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        _capacity = capacity;
    }

    public int Capacity => _capacity;

    /// <summary>Items written and not yet taken by the reader.</summary>
    public int Count => Volatile.Read(ref _count);

    public IntakeWriteResult TryWrite(T item)
    {
        // Read first: under overload most writers are refused, and a plain read keeps them off the cache line's
        // exclusive state.
        if (Volatile.Read(ref _count) >= _capacity)
        {
            return IntakeWriteResult.Full;
        }

        if (Interlocked.Increment(ref _count) > _capacity)
        {
            Interlocked.Decrement(ref _count);
            return IntakeWriteResult.Full;
        }

        if (_channel.Writer.TryWrite(item))
        {
            return IntakeWriteResult.Written;
        }

        Interlocked.Decrement(ref _count);
        return IntakeWriteResult.Closed;
    }

    /// <summary>Completes when an item is available (true) or the intake is closed and drained (false).</summary>
    public ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
        _channel.Reader.WaitToReadAsync(cancellationToken);

    /// <summary>Moves up to <paramref name="buffer"/>.Length queued items into it; reader only.</summary>
    public int TryReadBatch(Span<T?> buffer)
    {
        var reader = _channel.Reader;
        var n = 0;
        while (n < buffer.Length && reader.TryRead(out var item))
        {
            buffer[n++] = item;
        }

        if (n > 0)
        {
            Interlocked.Add(ref _count, -n);
        }

        return n;
    }

    /// <summary>Refuses further writes; what is queued can still be read.</summary>
    public bool Close() => _channel.Writer.TryComplete();
}
