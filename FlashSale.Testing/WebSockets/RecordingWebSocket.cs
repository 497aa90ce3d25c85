using System.Text;

namespace FlashSale.Testing.WebSockets;

/// <summary>A fast peer: every send completes at once and its frame is kept as text.</summary>
public sealed class RecordingWebSocket : FakeWebSocket
{
    private readonly Lock _gate = new();
    private readonly List<string> _frames = [];

    /// <summary>The frames sent so far, oldest first (a copy).</summary>
    public List<string> Frames
    {
        get
        {
            lock (_gate)
            {
                return [.. _frames];
            }
        }
    }

    protected override ValueTask SendFrameAsync(ReadOnlyMemory<byte> frame, CancellationToken cancellationToken)
    {
        var text = Encoding.UTF8.GetString(frame.Span);
        lock (_gate)
        {
            _frames.Add(text);
        }
        return ValueTask.CompletedTask;
    }
}
