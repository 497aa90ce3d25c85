using FlashSale.Load.Stats;

namespace FlashSale.Load.Realtime;

/// <summary>
/// Everything the run's sockets hear about its sale, shared by all of them: the admission counter, sold-out,
/// frame counts and the event lag: client receive time minus the frame's <c>sentAt</c> (when the host sends it), or
/// minus the moment the socket subscribed when the frame is older than the subscription.
/// </summary>
internal sealed class SaleFeed(Guid saleId, StepStats lag, StepStats? snapshotAge = null)
{
    private long _frames;
    private long _framesWithSentAt;
    private int _open;
    private int _peakOpen;

    public AdmissionGate Gate { get; } = new();

    public long Frames => Interlocked.Read(ref _frames);

    public long FramesWithSentAt => Interlocked.Read(ref _framesWithSentAt);

    public int PeakOpenSockets => Volatile.Read(ref _peakOpen);

    public void SocketOpened()
    {
        var open = Interlocked.Increment(ref _open);
        int peak;
        while (open > (peak = Volatile.Read(ref _peakOpen)) && Interlocked.CompareExchange(ref _peakOpen, open, peak) != peak)
        {
        }
    }

    public void SocketClosed() => Interlocked.Decrement(ref _open);

    /// <summary>Handles one text frame; returns its type (null when unreadable or of another sale).</summary>
    public string? OnFrame(ReadOnlySpan<byte> utf8, long subscribedAtMs = 0)
    {
        var receivedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        if (FrameFields.Read(utf8) is not { Type: { } type } frame || (frame.SaleId is { } id && id != saleId))
        {
            return null;
        }

        Interlocked.Increment(ref _frames);
        switch (type)
        {
            case "queue" when frame.AdmittedThrough is { } through:
                Gate.Advance(through);
                break;
            case "stock" or "sale" when frame.Over || frame.RemainingStock is <= 0:
                Gate.Close(Admission.SoldOut);
                break;
        }

        if (frame.SentAt is { } sentAt)
        {
            Interlocked.Increment(ref _framesWithSentAt);
            // A frame published before this socket subscribed is one of the latest frames a subscription starts with:
            // the shopper has waited for it only since subscribing. How old it was goes apart (snapshot-age): it says
            // when the sale last changed, not how late the host is.
            var kind = new Outcome(type, OutcomeKind.Ok);
            var from = Math.Max(sentAt, subscribedAtMs);
            lag.RecordMicros(kind, Math.Max(0, receivedMs - from) * 1000);
            if (sentAt < subscribedAtMs)
            {
                snapshotAge?.RecordMicros(kind, (receivedMs - sentAt) * 1000);
            }
        }

        return type;
    }
}
