using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// Serves <c>GET /metrics</c> (the OpenTelemetry Prometheus exporter) on the port of <see cref="PrometheusOptions.Url"/>,
/// and nothing else there: the shop's routes are not reachable through the metrics port, and <c>/metrics</c> is not
/// reachable through the shop's.
/// </summary>
public static class PrometheusEndpoint
{
    public const string Path = "/metrics";

    /// <summary>Kestrel's own default when nothing says where to listen.</summary>
    private const string KestrelDefaultUrl = "http://localhost:5000";

    /// <summary>
    /// Adds the metrics address to the ones Kestrel listens on, keeping the shop's: appended to <c>urls</c> (from
    /// <c>--urls</c>, <c>ASPNETCORE_URLS</c> or the <c>*_PORTS</c> settings), or as one more endpoint when the
    /// configuration lists <c>Kestrel:Endpoints</c> (which replace <c>urls</c> entirely).
    /// </summary>
    public static WebApplicationBuilder AddPrometheusAddress(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(PrometheusOptions.Section).Get<PrometheusOptions>() ?? new PrometheusOptions();
        if (!options.Enabled)
        {
            return builder;
        }
        if (builder.Configuration.GetSection("Kestrel:Endpoints").GetChildren().Any())
        {
            builder.Configuration.AddInMemoryCollection([new("Kestrel:Endpoints:Prometheus:Url", options.Url)]);
            return builder;
        }
        builder.WebHost.UseUrls(ServedUrls(builder.Configuration["urls"], builder.Configuration["http_ports"], builder.Configuration["https_ports"], options.Url));
        return builder;
    }

    /// <summary>The shop's addresses as Kestrel would have chosen them, plus <paramref name="metricsUrl"/>.</summary>
    public static string ServedUrls(string? urls, string? httpPorts, string? httpsPorts, string metricsUrl)
    {
        if (string.IsNullOrWhiteSpace(urls))
        {
            // UseUrls wins over the *_PORTS settings, so they are carried over as the URLs they stand for.
            var fromPorts = Ports(httpPorts, "http").Concat(Ports(httpsPorts, "https")).ToList();
            urls = fromPorts.Count > 0 ? string.Join(';', fromPorts) : KestrelDefaultUrl;
        }
        return $"{urls.TrimEnd(';')};{metricsUrl}";
    }

    private static IEnumerable<string> Ports(string? ports, string scheme) =>
        (ports ?? "").Split([';', ','], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(port => $"{scheme}://*:{port}");

    /// <summary>First in the pipeline: a request on the metrics port gets the scrape or a 404, never the shop.</summary>
    public static WebApplication UsePrometheusEndpoint(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<IOptions<PrometheusOptions>>().Value;
        if (!options.Enabled || options.Port is not { } port)
        {
            return app;
        }
        app.MapWhen(http => http.Connection.LocalPort == port, metrics =>
        {
            metrics.UseOpenTelemetryPrometheusScrapingEndpoint(http => http.Request.Path == Path && HttpMethods.IsGet(http.Request.Method));
            metrics.Run(http =>
            {
                http.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        });
        return app;
    }
}
