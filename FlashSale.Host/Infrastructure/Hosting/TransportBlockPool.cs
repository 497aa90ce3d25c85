using System.Buffers;
using System.Collections.Concurrent;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>
/// The memory Kestrel's socket transport reads and writes through: 4 KB blocks, like Kestrel's own pool, but with a
/// bound on the free ones it keeps (<see cref="TransportPoolOptions.MaxPooledBlocks"/>, shared by every pool of one
/// <see cref="TransportBlockPoolFactory"/>). Kestrel's pool keeps every block it ever handed out, pinned, and evicts
/// free ones only slowly (a few a heartbeat): 10,000 simultaneous WebSocket handshakes left ≈ 35–40 MB of free
/// pinned blocks resident long after they were needed (docs/PERFORMANCE.md, "Socket memory").
/// <para>
/// Blocks are ordinary arrays, not pinned-heap ones: a block returned beyond the cap dies young and is collected by
/// the next gen-0/1 collection (a pinned-heap block waits for a gen-2 collection). The socket pins a block only for
/// the duration of one send or receive, and an idle socket holds none (the transport waits for data before it takes
/// a buffer), which is also what Kestrel's <c>MemoryPool&lt;byte&gt;.Shared</c> option does.
/// </para>
/// </summary>
public sealed class TransportBlockPool : MemoryPool<byte>
{
    public const int BlockSize = 4_096;

    private readonly ConcurrentQueue<Block> _free = new();
    private readonly FreeBlockBudget _budget;
    private long _rented;
    private long _created;
    private long _dropped;
    private volatile bool _disposed;

    public TransportBlockPool(FreeBlockBudget budget) => _budget = budget ?? throw new ArgumentNullException(nameof(budget));

    public override int MaxBufferSize => BlockSize;

    /// <summary>Blocks handed out and not yet returned.</summary>
    public long Rented => Interlocked.Read(ref _rented);

    /// <summary>Free blocks this pool keeps.</summary>
    public int Free => _free.Count;

    /// <summary>Blocks ever allocated by this pool.</summary>
    public long Created => Interlocked.Read(ref _created);

    /// <summary>Blocks returned while the free budget was full, left to the GC.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public override IMemoryOwner<byte> Rent(int minBufferSize = -1)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minBufferSize, BlockSize);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_free.TryDequeue(out var block))
        {
            _budget.Release();
        }
        else
        {
            block = new Block(this);
            Interlocked.Increment(ref _created);
        }
        block.Lease();
        Interlocked.Increment(ref _rented);
        return block;
    }

    private void Return(Block block)
    {
        Interlocked.Decrement(ref _rented);
        if (!_disposed && _budget.TryTake())
        {
            _free.Enqueue(block);
        }
        else
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        while (_free.TryDequeue(out _))
        {
            _budget.Release();
        }
    }

    /// <summary>One block; disposing it returns it to its pool (once: a second dispose is ignored).</summary>
    private sealed class Block(TransportBlockPool pool) : IMemoryOwner<byte>
    {
        private readonly byte[] _array = GC.AllocateUninitializedArray<byte>(BlockSize);
        private int _leased;

        public Memory<byte> Memory => _array;

        public void Lease() => Volatile.Write(ref _leased, 1);

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _leased, 0) == 1)
            {
                pool.Return(this);
            }
        }
    }
}

/// <summary>How many free blocks all pools of one factory may keep together.</summary>
public sealed class FreeBlockBudget(int max)
{
    private int _taken;

    public int Max { get; } = max >= 0 ? max : throw new ArgumentOutOfRangeException(nameof(max));

    /// <summary>Free blocks kept now, across the pools.</summary>
    public int Kept => Volatile.Read(ref _taken);

    /// <summary>Reserves room for one more free block; false when the budget is full.</summary>
    public bool TryTake()
    {
        if (Interlocked.Increment(ref _taken) <= Max)
        {
            return true;
        }
        Interlocked.Decrement(ref _taken);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _taken);
}
