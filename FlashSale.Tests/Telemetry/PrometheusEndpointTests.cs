using System.Net;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Tests.Infrastructure;
using FlashSale.Tests.Purchases;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace FlashSale.Tests.Telemetry;

/// <summary>The host with <c>Metrics:Prometheus</c> on; a test says which local port a request arrived on.</summary>
public sealed class PrometheusApp : FlashSaleApp
{
    public const int MetricsPort = 9464;
    public const int ShopPort = 5000;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Read while services are registered (which exporters exist), so a host setting, not app configuration.
        builder.UseSetting("Metrics:Prometheus:Enabled", "true");
        builder.UseSetting("Metrics:Prometheus:Url", $"http://127.0.0.1:{MetricsPort}");
        builder.ConfigureServices(services => services.AddSingleton<IStartupFilter, LocalPortFilter>());
    }

    public async Task<HttpResponseMessage> GetAsync(string path, int localPort)
    {
        using var client = CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add(LocalPortFilter.Header, localPort.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return await client.SendAsync(request);
    }

    /// <summary>The in-memory server has no ports: the header stands for the port the connection arrived on.</summary>
    private sealed class LocalPortFilter : IStartupFilter
    {
        public const string Header = "X-Test-Local-Port";

        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((HttpContext http, RequestDelegate nextMiddleware) =>
            {
                if (int.TryParse(http.Request.Headers[Header].ToString(), out var port))
                {
                    http.Connection.LocalPort = port;
                }
                return nextMiddleware(http);
            });
            next(app);
        };
    }
}

[Trait("Category", TestCategory.Integration)]
public sealed class PrometheusEndpointTests(PrometheusApp app) : IClassFixture<PrometheusApp>
{
    [Fact]
    public async Task The_metrics_port_serves_the_scrape_with_the_engine_host_and_platform_meters()
    {
        var saleId = await app.CreateSaleAsync(totalStock: 5, perUserLimit: 1);
        using var shopper = await app.ShopperAsync();
        Assert.Equal(HttpStatusCode.Created, (await shopper.BuyAsync(saleId, 1, "k1")).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await shopper.BuyAsync(saleId, 1, "k2")).StatusCode);

        using var response = await app.GetAsync(PrometheusEndpoint.Path, PrometheusApp.MetricsPort);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Contains($"outcome=\"accepted\",sale=\"{saleId}\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains($"outcome=\"limit_reached\",sale=\"{saleId}\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains("flashsale_engine_batch_size_bucket", text, StringComparison.Ordinal);
        Assert.Contains("http_server_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_shop_port_does_not_serve_metrics_and_the_metrics_port_serves_nothing_else()
    {
        using var onShop = await app.GetAsync(PrometheusEndpoint.Path, PrometheusApp.ShopPort);
        using var shopRouteOnMetrics = await app.GetAsync("/api/v1/flash-sales", PrometheusApp.MetricsPort);
        using var healthOnMetrics = await app.GetAsync("/health/live", PrometheusApp.MetricsPort);
        using var shopRoute = await app.GetAsync("/api/v1/flash-sales", PrometheusApp.ShopPort);

        Assert.Equal(HttpStatusCode.NotFound, onShop.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, shopRouteOnMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, healthOnMetrics.StatusCode);
        Assert.Equal(HttpStatusCode.OK, shopRoute.StatusCode);
    }
}

[Trait("Category", TestCategory.Unit)]
public sealed class PrometheusOptionsTests
{
    [Theory]
    [InlineData(null, null, null, "http://localhost:5000;http://127.0.0.1:9464")]
    [InlineData("http://127.0.0.1:5080", null, null, "http://127.0.0.1:5080;http://127.0.0.1:9464")]
    [InlineData("http://a:1;http://b:2;", null, null, "http://a:1;http://b:2;http://127.0.0.1:9464")]
    [InlineData(null, "8080", null, "http://*:8080;http://127.0.0.1:9464")]
    [InlineData(null, "8080;8081", "8443", "http://*:8080;http://*:8081;https://*:8443;http://127.0.0.1:9464")]
    [InlineData("http://127.0.0.1:5080", "8080", null, "http://127.0.0.1:5080;http://127.0.0.1:9464")]
    public void The_metrics_address_is_added_to_the_shops_own(string? urls, string? httpPorts, string? httpsPorts, string expected) =>
        Assert.Equal(expected, PrometheusEndpoint.ServedUrls(urls, httpPorts, httpsPorts, "http://127.0.0.1:9464"));

    [Theory]
    [InlineData("http://127.0.0.1:9464", 9464)]
    [InlineData("http://0.0.0.0:9100/", 9100)]
    [InlineData("http://*:9464", 9464)]
    [InlineData("http://+:9464", 9464)]
    [InlineData("http://127.0.0.1", null)]
    [InlineData("http://127.0.0.1:9464/metrics", null)]
    [InlineData("https://127.0.0.1:9464", null)]
    [InlineData("9464", null)]
    [InlineData("", null)]
    public void The_port_is_read_from_an_http_url_that_names_it(string url, int? port) =>
        Assert.Equal(port, new PrometheusOptions { Url = url }.Port);

    [Fact]
    public void An_enabled_endpoint_without_a_usable_url_is_refused_at_start()
    {
        var validator = new PrometheusOptionsValidator();
        Assert.True(validator.Validate(null, new PrometheusOptions { Enabled = true, Url = "http://127.0.0.1" }).Failed);
        Assert.True(validator.Validate(null, new PrometheusOptions { Enabled = false, Url = "nonsense" }).Succeeded);
        Assert.True(validator.Validate(null, new PrometheusOptions { Enabled = true }).Succeeded);
    }
}
