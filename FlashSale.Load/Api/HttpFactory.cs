using System.Net;

namespace FlashSale.Load.Api;

/// <summary>
/// The single connection pool of a run. Every virtual user shares it, so 10,000 shoppers need only
/// <c>maxConnections</c> sockets for HTTP (plus one each for their WebSocket), far below the 20,000 open-file cap.
/// </summary>
internal static class HttpFactory
{
    /// <param name="maxConnections">The pool's size.</param>
    /// <param name="meters">Where the pool's own metrics go (<see cref="HttpPoolWait"/>); null for the process-wide meter.</param>
    public static SocketsHttpHandler CreateHandler(int maxConnections, System.Diagnostics.Metrics.IMeterFactory? meters = null) => new()
    {
        MaxConnectionsPerServer = maxConnections,
        MeterFactory = meters,
        // Recycle connections now and then so DNS or a restarted host is picked up in long runs.
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ConnectTimeout = TimeSpan.FromSeconds(10),
        // Never go anywhere the user did not name: no proxies from the environment, no redirects to other hosts.
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    public static HttpClient CreateClient(HttpMessageHandler handler, bool disposeHandler, Uri target, TimeSpan requestTimeout) =>
        new(handler, disposeHandler)
        {
            BaseAddress = target,
            Timeout = requestTimeout,
            DefaultRequestVersion = HttpVersion.Version11,
        };
}
