using FlashSale.Engine.Core;

namespace FlashSale.Testing.Engine;

/// <summary>A journal whose PostgreSQL is down: every commit fails, and the attempts are counted.</summary>
public sealed class FailingJournal : IOrderJournal
{
    private int _calls;

    /// <summary>Commit attempts so far.</summary>
    public int Calls => Volatile.Read(ref _calls);

    public ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        return ValueTask.FromException(new InvalidOperationException("PostgreSQL is down (injected)."));
    }
}
