using FlashSale.Engine.Core;

namespace FlashSale.Testing.Engine;

/// <summary>A journal that commits nothing and succeeds at once, so a benchmark or test measures the engine alone.</summary>
public sealed class NoOpJournal : IOrderJournal
{
    public static readonly NoOpJournal Instance = new();

    public ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
