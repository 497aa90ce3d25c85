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
    public Func<Uri, CancellationToken, Task<WebSocket>>? ConnectWebSocket { get; init; }

    /// <summary>Set-up messages; null = standard output.</summary>
    public TextWriter? Log { get; init; }

    /// <summary>Live progress; null = chosen from the options and the terminal.</summary>
    public IProgressSink? Progress { get; init; }

    /// <summary>The commit the report records; null = <c>git rev-parse HEAD</c>, or "unknown".</summary>
    public string? GitCommit { get; init; }
}
