using System.Net;
using System.Net.Sockets;
using FlashSale.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Security;

/// <summary>
/// A host with the shipped defaults of the limits FlashSaleApp relaxes for the rest of the suite (each security
/// test class gets its own, so buckets and counters never leak between classes).
/// </summary>
public class DefaultLimitsApp : FlashSaleApp
{
    public DefaultLimitsApp()
    {
        foreach (var key in RelaxedLimits.Keys)
        {
            Settings.Remove(key);
        }
    }
}

/// <summary>
/// Lets a test choose the connection's peer address with an <c>X-Test-Peer</c> header (the in-memory server has
/// none), as if the request came from that machine; runs before the host's own pipeline.
/// </summary>
public sealed class PeerAddressFilter : IStartupFilter
{
    public const string Header = "X-Test-Peer";

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use((HttpContext http, RequestDelegate nextMiddleware) =>
        {
            if (IPAddress.TryParse(http.Request.Headers[Header].ToString(), out var peer))
            {
                http.Connection.RemoteIpAddress = peer;
            }
            return nextMiddleware(http);
        });
        next(app);
    };
}

public class PeerAddressApp : DefaultLimitsApp
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, PeerAddressFilter>());
    }
}

/// <summary>The host on real Kestrel (a loopback port of its own), for limits the in-memory server does not have.</summary>
public class KestrelApp : DefaultLimitsApp
{
    public KestrelApp()
    {
        Port = FreePort();
        UseKestrel(Port);
    }

    public int Port { get; }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
