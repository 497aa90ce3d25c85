using System.Collections.Concurrent;

namespace FlashSale.Load.Running;

/// <summary>What the run noticed and the report should say: skipped steps the host lacks, clamped options, ...</summary>
internal sealed class RunNotes
{
    private readonly ConcurrentDictionary<string, byte> _notes = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();

    /// <summary>Adds a note once, however many users hit the same situation.</summary>
    public void Add(string note)
    {
        if (_notes.TryAdd(note, 0))
        {
            _order.Enqueue(note);
        }
    }

    public IReadOnlyList<string> All => [.. _order];
}
