namespace FlashSale.Host.Infrastructure.Events;

/// <summary>A single host's channel: a message published here is handed straight to this host's handlers.</summary>
public sealed class LocalEventChannel : IEventChannel
{
    private Action<ReadOnlyMemory<byte>>[] _handlers = [];

    public Task PublishAsync(byte[] message)
    {
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(message);
        }
        return Task.CompletedTask;
    }

    public void Subscribe(Action<ReadOnlyMemory<byte>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        System.Collections.Immutable.ImmutableInterlocked.Update(ref _handlers, static (all, added) => [.. all, added], handler);
    }
}
