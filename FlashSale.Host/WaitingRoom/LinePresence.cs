using FlashSale.Engine.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// Tells the line which of its shoppers follow it on a socket of this host: a shopper with a subscribed socket open is
/// present and never needs to poll. Every third of <see cref="WaitingRoomOptions.PresenceTimeoutSeconds"/> it sends,
/// per waiting-room sale, every follower here in one Redis call (<see cref="RedisWaitingRoom.TouchAsync"/>), so a
/// socket keeps its shopper present with at least two reports inside the timeout, and 10,000 followers of a sale
/// cost a few calls every 20 s, not a request each.
/// </summary>
public sealed partial class LinePresence(
    RedisWaitingRoom room,
    ILineFollowers followers,
    WaitingRoomCatalog catalog,
    IOptions<WaitingRoomOptions> options,
    TimeProvider clock,
    ILogger<LinePresence> logger) : BackgroundService
{
    private const int MostPerCall = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var period = TimeSpan.FromSeconds(options.Value.PresenceTimeoutSeconds / 3);
        using var timer = new PeriodicTimer(period, clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await ReportAsync();
            }
            catch (Exception e) when (e is RedisException or TimeoutException or InvalidOperationException)
            {
                LogReportFailed(logger, e);
            }
        }
    }

    /// <summary>Sends every follower of a waiting-room sale on this host as present, one call per sale (per 5,000).</summary>
    public async Task ReportAsync()
    {
        var bySale = new Dictionary<Guid, List<Guid>>();
        foreach (var (saleId, userId) in followers.Followers)
        {
            if (!catalog.TryGet(saleId, out _))
            {
                continue; // not a waiting-room sale: nobody there holds a place
            }
            if (!bySale.TryGetValue(saleId, out var users))
            {
                bySale[saleId] = users = [];
            }
            users.Add(userId);
        }
        foreach (var (saleId, users) in bySale)
        {
            foreach (var chunk in users.Chunk(MostPerCall))
            {
                await room.TouchAsync(saleId, chunk);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting the line's followers as present failed; the next period retries")]
    private static partial void LogReportFailed(ILogger logger, Exception exception);
}
