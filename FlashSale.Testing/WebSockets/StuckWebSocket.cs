namespace FlashSale.Testing.WebSockets;

/// <summary>A peer that never reads: its first send never completes, so every later frame has to wait or be dropped.</summary>
public sealed class StuckWebSocket : FakeWebSocket
{
    private int _sends;

    /// <summary>How many sends were started (none of them finished).</summary>
    public int Sends => Volatile.Read(ref _sends);

    protected override ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _sends);
        return new ValueTask(new TaskCompletionSource().Task);
    }
}
