namespace FlashSale.Testing.WebSockets;

/// <summary>
/// The cheapest possible peer for fan-out benchmarks: a send completes at once and adds one to a counter shared by
/// every socket of the run, so the benchmark can wait for "all frames sent" by reading one number.
/// </summary>
public sealed class CountingWebSocket(SendCounter counter) : FakeWebSocket
{
    protected override ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        counter.Add();
        return ValueTask.CompletedTask;
    }
}

/// <summary>Frames sent by a group of <see cref="CountingWebSocket"/>s.</summary>
public sealed class SendCounter
{
    private long _sends;

    public long Sends => Interlocked.Read(ref _sends);

    public void Add() => Interlocked.Increment(ref _sends);
}
