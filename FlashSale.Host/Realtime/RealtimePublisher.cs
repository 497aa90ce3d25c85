using FlashSale.Host.Infrastructure.Events;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Sales;
using FlashSale.Host.WaitingRoom;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.Realtime;

/// <summary>
/// Turns signals into frames. Every <see cref="RealtimeOptions.CoalesceMilliseconds"/> it takes the sales whose
/// stock or line moved (however many purchases that was), reads each sale once (<see cref="ISaleSnapshots"/>),
/// serializes each frame once and publishes what the sale has at that tick as one message (a bundle when it is more
/// than one frame) on the deployment's event channel; every host (this one included)
/// relays what arrives on the channel to its own subscribers (<see cref="RealtimeHub.Deliver"/>). Every <see cref="RealtimeOptions.RefreshMilliseconds"/> the sales watched here are
/// re-read too, so changes nobody signalled on this host (units returned, the clock opening or ending a sale) still
/// reach the screens. It also sweeps sockets: stuck sends are aborted, expired tokens closed.
/// <para>
/// A frame budget (<see cref="RealtimeOptions.MaxFramesPerSecond"/>): 10,000 subscribers of one sale at a stock and
/// a queue frame every 100 ms would be 200,000 frames a second, more than the host, the kernel and the clients on
/// 2 cores can carry without every frame arriving late. A sale with many subscribers here is therefore published
/// only every subscribers × 2 / budget seconds (its signals wait, coalescing further); a status change (sold out,
/// ended, opened) is published at the next tick regardless, so nobody waits longer to hear that the line closed.
/// </para>
/// </summary>
public sealed partial class RealtimePublisher(
    IEventChannel channel,
    SaleSignals signals,
    RealtimeHub hub,
    ISaleSnapshots snapshots,
    WaitingRoomCatalog catalog,
    IOptions<RealtimeOptions> options,
    TimeProvider clock,
    ILogger<RealtimePublisher> logger) : BackgroundService
{
    private const int Refresh = 4;
    private readonly RealtimeOptions _options = options.Value;
    // When each sale's frames last went out; read and written by the publishing loop only.
    private readonly Dictionary<Guid, long> _lastPublished = [];

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        channel.Subscribe(message => hub.Deliver(message));
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Ask every socket to go (1001) so the server does not wait out its shutdown timeout on open sockets;
        // pages reconnect (to another host) with backoff.
        foreach (var connection in hub.Connections)
        {
            connection.RequestClose(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "The server is shutting down.");
        }
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var due = new List<(Guid SaleId, int What)>();
        var merged = new Dictionary<Guid, int>();
        long lastRefresh = 0;
        long lastSweep = 0;
        var sendTimeout = TimeSpan.FromSeconds(_options.SendTimeoutSeconds);
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(_options.CoalesceMilliseconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            due.Clear();
            merged.Clear();
            signals.Drain(due);
            foreach (var (saleId, what) in due)
            {
                merged[saleId] = merged.GetValueOrDefault(saleId) | what;
            }
            if (now - lastRefresh >= _options.RefreshMilliseconds)
            {
                lastRefresh = now;
                foreach (var saleId in hub.WatchedSales)
                {
                    merged[saleId] = merged.GetValueOrDefault(saleId) | Refresh;
                }
            }
            foreach (var (saleId, what) in merged)
            {
                try
                {
                    await PublishSaleAsync(saleId, what, now, stoppingToken);
                }
                catch (Exception e) when (e is RedisException or TimeoutException or Npgsql.NpgsqlException or InvalidOperationException)
                {
                    LogPublishFailed(logger, saleId, e);
                }
            }
            if (now - lastSweep >= 1_000)
            {
                lastSweep = now;
                hub.Sweep(sendTimeout, now);
            }
        }
    }

    private async Task PublishSaleAsync(Guid saleId, int what, long now, CancellationToken cancellationToken)
    {
        if (await snapshots.ReadAsync(saleId, now, cancellationToken) is not { } snap)
        {
            return;
        }
        var period = hub.SubscriberCount(saleId) * 2L * 1000 / _options.MaxFramesPerSecond;
        if (!snap.StatusChanged && period > _options.CoalesceMilliseconds
            && now - _lastPublished.GetValueOrDefault(saleId, long.MinValue / 2) < period)
        {
            // Over budget: keep what changed for a later tick (a pure refresh comes again by itself).
            if ((what & (SaleSignals.Stock | SaleSignals.Queue)) is var pending and not 0)
            {
                signals.Mark(saleId, pending);
            }
            return;
        }
        _lastPublished[saleId] = now;
        LineMetrics.Record(saleId, snap);
        HostMetrics.RecordSale(saleId, snap.RemainingStock, hub.SubscriberCount(saleId));
        var (lastStock, lastThrough) = hub.LastValues(saleId);
        var messages = new List<byte[]>(3);
        if ((what & SaleSignals.Stock) != 0 || snap.StatusChanged || lastStock != snap.RemainingStock)
        {
            messages.Add(LiveFrames.Stock(saleId, snap.Sequence, snap.RemainingStock, snap.Status, now));
        }
        if (snap.StatusChanged)
        {
            // Units came back to a sold-out line: waiting shoppers get a second chance in ticket order, and are told so.
            messages.Add(snap.Restocked && snap.WaitingRoom
                ? LiveFrames.Restock(saleId, snap.Sequence, snap.RemainingStock, snap.AdmittedThrough, now)
                : LiveFrames.Sale(saleId, snap.Sequence, snap.Status, now));
        }
        if (snap.WaitingRoom && ((what & SaleSignals.Queue) != 0 || snap.StatusChanged || lastThrough != snap.AdmittedThrough))
        {
            var room = await catalog.GetAsync(saleId, cancellationToken);
            messages.Add(LiveFrames.Queue(saleId, snap.Sequence, snap.AdmittedThrough, room?.RatePerSecond ?? 0, now,
                snap.Returning, snap.AbsentAhead, snap.Paused));
        }
        // One message for what this tick has of the sale: every socket gets it in one write (RealtimeHub.Deliver).
        switch (messages.Count)
        {
            case 0:
                return;
            case 1:
                await channel.PublishAsync(messages[0]);
                return;
            default:
                await channel.PublishAsync(LiveFrames.Bundle(messages));
                return;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing live frames of sale {SaleId} failed; the next tick retries")]
    private static partial void LogPublishFailed(ILogger logger, Guid saleId, Exception exception);
}
