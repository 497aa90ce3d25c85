using System.Threading.Channels;

namespace FlashSale.Engine.Core;

internal enum IntakeWriteResult : byte
{
    Written,
    Full,
    Closed,
}

/// <summary>
/// A many-writer, single-reader queue with a hard capacity. It is a System.Threading.Channels single-reader
/// unbounded channel with the bound kept by an admission counter instead of by the channel:
/// <list type="bullet">
/// <item>a full queue is refused with one read of the counter, without entering the channel at all, so overload
/// (the moment a flash sale is most likely to be in) costs writers nothing but that read;</item>
/// <item>the single-reader unbounded channel's write is a short critical section around one ConcurrentQueue
/// enqueue, where the bounded channel's write also maintains its deque and blocked-writer bookkeeping under its
/// monitor (ChannelHandoffBenchmarks measures the difference);</item>
/// <item>the reader releases a whole batch of slots with one Interlocked add.</item>
/// </list>
/// Memory is bounded by the capacity exactly as with a bounded channel. The engine's own code takes no lock here;
/// the channel's writer does hold its internal monitor for the enqueue itself.
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
