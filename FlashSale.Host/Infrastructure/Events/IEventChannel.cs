namespace FlashSale.Host.Infrastructure.Events;

/// <summary>
/// The deployment's one broadcast channel: what a host publishes reaches every host, itself included (Redis pub/sub
/// with several hosts, a loopback on a single host). Live frames and sale-change notices travel on it; each handler
/// takes the messages it recognises and ignores the rest. Delivery is at most once: whatever must not be missed is
/// also re-read periodically (the live refresh, the sale resync).
/// </summary>
public interface IEventChannel
{
    /// <summary>Sends the message to every host of the deployment.</summary>
    Task PublishAsync(byte[] message);

    /// <summary>Calls <paramref name="handler"/> for every message from any host, on the channel's thread: it must be quick and must not throw.</summary>
    void Subscribe(Action<ReadOnlyMemory<byte>> handler);
}
