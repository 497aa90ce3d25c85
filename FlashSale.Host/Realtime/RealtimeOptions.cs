using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.Realtime;

/// <summary>Live updates over <c>/ws</c>, bound from <c>Realtime</c>.</summary>
public sealed class RealtimeOptions
{
    public const string Section = "Realtime";

    /// <summary>A sale's frames go out at most this often (stock changes in between are coalesced).</summary>
    [Range(5, 10_000)]
    public int CoalesceMilliseconds { get; set; } = 100;

    /// <summary>
    /// How often every sale watched on this host is re-read and republished if it changed without a signal here
    /// (units returned by expiry, a sale opening or ending on the clock).
    /// </summary>
    [Range(50, 60_000)]
    public int RefreshMilliseconds { get; set; } = 1_000;

    /// <summary>
    /// The frames a second this host aims to send at most (subscribers × frames). A sale whose subscribers here would
    /// exceed it at one stock and one queue frame per <see cref="CoalesceMilliseconds"/> is published less often
    /// (every subscribers × 2 / budget seconds); a status change (sold out, ended) always goes out at once.
    /// </summary>
    [Range(1, 100_000_000)]
    public int MaxFramesPerSecond { get; set; } = 50_000;

    /// <summary>Client frames larger than this close the socket with 1009 (message too big).</summary>
    [Range(256, 1_048_576)]
    public int MaxFrameBytes { get; set; } = 4_096;

    [Range(1, 1_000)]
    public int MaxSubscriptionsPerSocket { get; set; } = 50;

    /// <summary>Error frames a socket may earn before it is closed with 1008 (policy violation).</summary>
    [Range(1, 10_000)]
    public int MaxErrorsPerSocket { get; set; } = 100;

    /// <summary>Server keep-alive pings (WebSocket ping frames) on idle sockets.</summary>
    [Range(1, 3_600)]
    public int KeepAliveSeconds { get; set; } = 15;

    /// <summary>A socket that does not answer a ping within this time is aborted.</summary>
    [Range(1, 3_600)]
    public int KeepAliveTimeoutSeconds { get; set; } = 45;

    /// <summary>A socket whose one outstanding send has not completed within this time is too slow and is aborted.</summary>
    [Range(0.05, 3_600)]
    public double SendTimeoutSeconds { get; set; } = 10;

    /// <summary>The Redis pub/sub channel every host publishes to and relays from.</summary>
    [Required]
    public string Channel { get; set; } = "flashsale:events";
}
