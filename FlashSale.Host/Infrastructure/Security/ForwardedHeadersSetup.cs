using System.Net;
using Microsoft.AspNetCore.HttpOverrides;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>
/// The TLS proxy in front of the hosts, bound from <c>ForwardedHeaders</c>: <c>KnownProxies</c> (addresses) and
/// <c>KnownNetworks</c> (CIDR blocks). Only a connection from one of them may say, through <c>X-Forwarded-For</c> and
/// <c>X-Forwarded-Proto</c>, who the client is and whether it came over HTTPS. None are trusted by default, and then
/// the headers are ignored entirely: ASP.NET's middleware trusts every sender when both lists are empty, so it is not
/// installed at all in that case.
/// </summary>
public sealed class ProxyOptions
{
    public const string Section = "ForwardedHeaders";

    public string[] KnownProxies { get; set; } = [];

    public string[] KnownNetworks { get; set; } = [];

    /// <summary>Proxies between the client and the host (entries of X-Forwarded-For taken from the right).</summary>
    [System.ComponentModel.DataAnnotations.Range(1, 10)]
    public int ForwardLimit { get; set; } = 1;

    public bool TrustsAnyProxy => KnownProxies.Length > 0 || KnownNetworks.Length > 0;
}

public static class ForwardedHeadersSetup
{
    public static IServiceCollection AddFlashSaleForwardedHeaders(this IServiceCollection services)
    {
        services.AddOptions<ProxyOptions>().BindConfiguration(ProxyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<ProxyOptions>>((options, proxyOptions) =>
        {
            var proxies = proxyOptions.Value;
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.ForwardLimit = proxies.ForwardLimit;
            // The defaults trust loopback; here only what configuration names is trusted.
            options.KnownProxies.Clear();
            options.KnownIPNetworks.Clear();
            foreach (var proxy in proxies.KnownProxies)
            {
                options.KnownProxies.Add(IPAddress.TryParse(proxy, out var address)
                    ? address
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownProxies: '{proxy}' is not an IP address."));
            }
            foreach (var network in proxies.KnownNetworks)
            {
                options.KnownIPNetworks.Add(System.Net.IPNetwork.TryParse(network, out var parsed)
                    ? parsed
                    : throw new InvalidOperationException($"ForwardedHeaders:KnownNetworks: '{network}' is not a CIDR block (e.g. 10.0.0.0/8)."));
            }
        });
        return services;
    }

    /// <summary>First in the pipeline, so every limiter, log and scheme check sees the real client.</summary>
    public static WebApplication UseFlashSaleForwardedHeaders(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<Microsoft.Extensions.Options.IOptions<ProxyOptions>>().Value.TrustsAnyProxy)
        {
            app.UseForwardedHeaders();
        }
        return app;
    }
}
