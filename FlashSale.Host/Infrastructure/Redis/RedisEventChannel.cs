using FlashSale.Host.Infrastructure.Events;
using StackExchange.Redis;

namespace FlashSale.Host.Infrastructure.Redis;

/// <summary>
/// The deployment's broadcast channel on Redis pub/sub (one channel name per deployment). It subscribes at start and,
/// while Redis is unreachable, once a second until it succeeds; after that the multiplexer re-subscribes by itself on
/// every reconnect.
/// </summary>
public sealed partial class RedisEventChannel(IConnectionMultiplexer redis, string channel, TimeProvider clock, ILogger<RedisEventChannel> logger)
    : BackgroundService, IEventChannel
{
    private readonly RedisChannel _channel = RedisChannel.Literal(channel);
    private Action<ReadOnlyMemory<byte>>[] _handlers = [];
    private ChannelMessageQueue? _subscription;

    public async Task PublishAsync(byte[] message) => await redis.GetSubscriber().PublishAsync(_channel, message);

    public void Subscribe(Action<ReadOnlyMemory<byte>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        System.Collections.Immutable.ImmutableInterlocked.Update(ref _handlers, static (all, added) => [.. all, added], handler);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), clock);
        do
        {
            try
            {
                var subscription = await redis.GetSubscriber().SubscribeAsync(_channel);
                subscription.OnMessage(Deliver);
                _subscription = subscription;
                return;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogSubscribeFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (Interlocked.Exchange(ref _subscription, null) is { } subscription)
        {
            try
            {
                await subscription.UnsubscribeAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException)
            {
                LogSubscribeFailed(logger, e);
            }
        }
    }

    private void Deliver(ChannelMessage message)
    {
        var bytes = (byte[]?)message.Message;
        if (bytes is null)
        {
            return;
        }
        foreach (var handler in Volatile.Read(ref _handlers))
        {
            handler(bytes);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Subscribing to the event channel failed; retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception);
}
