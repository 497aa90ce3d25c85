using System.Net.WebSockets;
using FlashSale.Load.Terminal;

namespace FlashSale.Load.Running;

/// <summary>
/// What a caller may swap in around a run; the defaults are the real console tool. A test hands in the
/// in-process host's handler (and, for WebSockets, a connector such as TestServer's WebSocketClient).
/// </summary>
internal sealed record LoadEnvironment
{
    /// <summary>HTTP handler for every request; null = one shared SocketsHttpHandler sized to the load.</summary>
    public HttpMessageHandler? Handler { get; init; }

    /// <summary>Opens a WebSocket; null = ClientWebSocket over its own handler (or over <see cref="Handler"/> when given).</summary>
    public Func<Uri, string, CancellationToken, Task<WebSocket>>? ConnectWebSocket { get; init; }

    /// <summary>Set-up messages; null = standard output.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Live progress; null = chosen from the options and the terminal.</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>The commit the report records; null = <c>git rev-parse HEAD</c>, or "unknown".</summary>
    public string? GitCommit { get; init; }

    /// <summary>A worker's share of the shoppers, handed over by the coordinator; null = prepared or loaded here.</summary>
    public IReadOnlyList<Shoppers.ShopperToken>? Shoppers { get; init; }

    /// <summary>Awaited between set-up and load: a worker reports ready and waits for the coordinator's go.</summary>
    public Func<CancellationToken, Task>? BeforeLoad { get; init; }

    /// <summary>Keep each second's histograms (<see cref="Stats.StatsCollector.Intervals"/>) for the coordinator.</summary>
    public bool KeepIntervals { get; init; }

    /// <summary>Starts one local worker of a multi-process run; null = a <c>FlashSale.Load worker</c> process.</summary>
    public Func<Distributed.LocalWorkerStart, CancellationToken, Task>? StartLocalWorker { get; init; }
}
