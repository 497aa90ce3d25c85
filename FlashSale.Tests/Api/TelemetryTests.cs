using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Integration)]
public sealed class TelemetryTests(FlashSaleApp app) : IClassFixture<FlashSaleApp>
{
    [Fact]
    public void A_host_without_an_OTLP_endpoint_registers_no_telemetry()
    {
        Assert.Null(app.Services.GetService<MeterProvider>());
        Assert.Null(app.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void With_an_OTLP_endpoint_the_engine_meter_and_request_traces_are_collected()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { [TelemetrySetup.EndpointKey] = "http://127.0.0.1:4317" })
            .Build();
        var services = new ServiceCollection().AddLogging().AddSingleton<IConfiguration>(configuration);
        services.AddFlashSaleTelemetry(configuration);

        using var provider = services.BuildServiceProvider();
        using var meters = provider.GetRequiredService<MeterProvider>();
        Assert.NotNull(provider.GetService<TracerProvider>());
        // An instrument is enabled once a listener subscribed to its meter: the provider collects the engine's.
        Assert.True(EngineMetrics.BatchSize.Enabled);
        Assert.True(EngineMetrics.JournalDuration.Enabled);
    }
}
