namespace FlashSale.Engine.Core;

/// <summary>
/// Where a stock authority logged an accepted order for the reconciler (Redis: the stream entry id
/// <c>&lt;Milliseconds&gt;-&lt;Sequence&gt;</c>). The default value means "not logged": an authority without a log, or a
/// replayed acceptance whose entry was appended by an earlier batch.
/// </summary>
public readonly record struct OrderLogPosition(ulong Milliseconds, ulong Sequence)
{
    /// <summary>False for the default value (no stream id is 0-0).</summary>
    public bool IsSet => Milliseconds != 0 || Sequence != 0;
}
