using System.Net.WebSockets;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Realtime;

/// <summary>
/// Closes the sockets of revoked sessions: every <see cref="JwtOptions.RevocationCheckSeconds"/> it reads the
/// current security stamp of every user with an open socket here (one query) and closes with
/// <see cref="SessionRevoked"/> each socket opened under an older stamp, or whose user is gone.
/// </summary>
public sealed partial class SocketRevocationSweep(RealtimeHub hub, SecurityStamps stamps, IOptions<JwtOptions> options, TimeProvider clock,
    ILogger<SocketRevocationSweep> logger) : BackgroundService
{
    /// <summary>Close code: the session was signed out everywhere, its password changed, or its refresh token reused.</summary>
    public const int SessionRevoked = 4403;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(options.Value.RevocationCheckSeconds), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogFailed(logger, e);
            }
        }
    }

    /// <summary>One pass; returns how many sockets it closed.</summary>
    public async Task<int> SweepAsync(CancellationToken cancellationToken)
    {
        var open = hub.Connections.Where(c => c.UserId != Guid.Empty && !c.IsDead).ToArray();
        if (open.Length == 0)
        {
            return 0;
        }
        var current = await stamps.ReadAsync(open.Select(c => c.UserId).Distinct().ToArray(), cancellationToken).ConfigureAwait(false);
        var closed = 0;
        foreach (var connection in open)
        {
            if (!current.TryGetValue(connection.UserId, out var stamp) || stamp != connection.SecurityStamp)
            {
                connection.RequestClose((WebSocketCloseStatus)SessionRevoked, "The session was revoked; sign in again.");
                closed++;
            }
        }
        return closed;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The socket revocation sweep failed; it runs again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
