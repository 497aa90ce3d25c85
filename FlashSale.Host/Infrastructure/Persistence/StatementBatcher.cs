using System.Threading.Channels;

namespace FlashSale.Host.Infrastructure.Persistence;

/// <summary>
/// Many callers' one-row statements run as one multi-row statement: each caller queues its ask, one loop takes
/// everything queued (up to <c>maxBatch</c>) and answers all of it with one round trip and one commit. At 2,000
/// payments a second that is a few dozen transactions instead of 4,000, with no pooled connection per caller; when
/// asks come one at a time a batch is just that ask, so a lone caller waits for nothing but its own statement.
/// <para>
/// The statement gets every ask of the batch and returns one answer per ask, in order. When it throws, every ask of
/// the batch gets the exception: the statement is one transaction, so nothing of the batch was written.
/// </para>
/// </summary>
public sealed class StatementBatcher<TAsk, TAnswer> : IDisposable
{
    private readonly Channel<Entry> _queue;
    private readonly Func<IReadOnlyList<TAsk>, CancellationToken, Task<TAnswer[]>> _statement;
    private readonly int _maxBatch;
    private readonly CancellationTokenSource _stopping = new();

    public StatementBatcher(int maxBatch, int maxQueued, Func<IReadOnlyList<TAsk>, CancellationToken, Task<TAnswer[]>> statement)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxQueued, maxBatch);
        _maxBatch = maxBatch;
        _statement = statement;
        // Full: callers wait for room (back-pressure on the HTTP requests), they are never refused or dropped.
        _queue = Channel.CreateBounded<Entry>(new BoundedChannelOptions(maxQueued) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _ = Task.Run(RunAsync);
    }

    private readonly record struct Entry(TAsk Ask, TaskCompletionSource<TAnswer> Answer);

    /// <summary>
    /// Queues <paramref name="ask"/> and waits for its answer. <paramref name="cancellationToken"/> only stops the wait for
    /// room in the queue: once queued, the ask runs with its batch whoever hangs up (as one statement would have).
    /// </summary>
    public async Task<TAnswer> AskAsync(TAsk ask, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<TAnswer>(TaskCreationOptions.RunContinuationsAsynchronously);
        await _queue.Writer.WriteAsync(new Entry(ask, answer), cancellationToken).ConfigureAwait(false);
        return await answer.Task.ConfigureAwait(false);
    }

    private async Task RunAsync()
    {
        var entries = new List<Entry>(_maxBatch);
        var asks = new List<TAsk>(_maxBatch);
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            entries.Clear();
            asks.Clear();
            while (entries.Count < _maxBatch && reader.TryRead(out var entry))
            {
                entries.Add(entry);
                asks.Add(entry.Ask);
            }
            try
            {
                var answers = await _statement(asks, _stopping.Token).ConfigureAwait(false);
                for (var i = 0; i < entries.Count; i++)
                {
                    entries[i].Answer.TrySetResult(answers[i]);
                }
            }
#pragma warning disable CA1031 // The failure is each caller's to handle, as it would be for its own statement.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                foreach (var entry in entries)
                {
                    entry.Answer.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Stops taking asks; what is queued still runs unless the host is past waiting for it.</summary>
    public void Dispose()
    {
        _queue.Writer.TryComplete();
        _stopping.Cancel();
        _stopping.Dispose();
    }
}
