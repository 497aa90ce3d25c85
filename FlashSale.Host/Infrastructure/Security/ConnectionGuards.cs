using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// Connection-level limits, bound from <c>Connections</c>: one client address may hold at most
/// <c>MaxPerAddress</c> open connections (default 512; 0 = no cap), so a single machine cannot take the host's
/// whole connection budget (<c>Connections:MaxOpen</c>); the configured proxies (<c>ForwardedHeaders</c>) and
/// <c>ExemptAddresses</c> (loopback by default: the machine itself, e.g. a local proxy or the load tool) are not
/// counted. A connection that does not finish its request headers within <c>RequestHeadersTimeoutSeconds</c> (10)
/// is closed, and an idle keep-alive connection after <c>KeepAliveTimeoutSeconds</c> (30): a slow client holds a
/// slot for seconds, not minutes.
/// </summary>
public static class ConnectionGuards
{
    public const int DefaultMaxPerAddress = 512;

    public static void ConfigureKestrel(KestrelServerOptions kestrel, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        ArgumentNullException.ThrowIfNull(configuration);
        kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(configuration.GetValue<double?>("Connections:RequestHeadersTimeoutSeconds") ?? 10);
        kestrel.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(configuration.GetValue<double?>("Connections:KeepAliveTimeoutSeconds") ?? 30);
    }

    /// <summary>The per-address cap as connection middleware of an endpoint (called from the endpoint defaults).</summary>
    public static void UsePerAddressLimit(ListenOptions listen, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(configuration);
        var max = configuration.GetValue<int?>("Connections:MaxPerAddress") ?? DefaultMaxPerAddress;
        if (max <= 0)
        {
            return;
        }
        var proxies = configuration.GetSection(ProxyOptions.Section).Get<ProxyOptions>() ?? new ProxyOptions();
        var exempt = (configuration.GetSection("Connections:ExemptAddresses").Get<string[]>() ?? ["127.0.0.1", "::1"])
            .Concat(proxies.KnownProxies)
            .Select(a => IPAddress.TryParse(a, out var parsed) ? parsed : throw new InvalidOperationException($"'{a}' is not an IP address."))
            .ToHashSet();
        var networks = proxies.KnownNetworks.Select(n => System.Net.IPNetwork.Parse(n)).ToArray();
        var open = new ConcurrentDictionary<IPAddress, int>();
        listen.Use(next => async connection =>
        {
            var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
            if (address is null || exempt.Contains(address) || networks.Any(n => n.Contains(address)))
            {
                await next(connection);
                return;
            }
            if (open.AddOrUpdate(address, 1, static (_, count) => count + 1) > max)
            {
                Release(open, address);
                connection.Abort(new ConnectionAbortedException("FlashSale: too many connections from one address"));
                return;
            }
            try
            {
                await next(connection);
            }
            finally
            {
                Release(open, address);
            }
        });
    }

    private static void Release(ConcurrentDictionary<IPAddress, int> open, IPAddress address)
    {
        while (open.TryGetValue(address, out var count))
        {
            if (count <= 1 ? open.TryRemove(new KeyValuePair<IPAddress, int>(address, count)) : open.TryUpdate(address, count - 1, count))
            {
                return;
            }
        }
    }
}
