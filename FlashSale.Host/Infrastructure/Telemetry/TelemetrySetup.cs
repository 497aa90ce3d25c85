using FlashSale.Engine.Core;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// Metrics for Prometheus (<see cref="PrometheusOptions"/>, a scrape endpoint on a port of its own) and metrics and
/// traces over OTLP, switched on by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> setting (environment variable or
/// configuration key), the way the .NET service defaults do it. With neither nothing is registered, so a host nobody
/// collects from pays nothing for it on the purchase path.
/// Metrics: the engine's meter (batch sizes, Lua and commit times, journal rows per commit, 503s by cause), the host's
/// (<see cref="HostMetrics"/>: purchases by outcome, sockets and frame lag, reconciler, sweeper, audit, dependencies),
/// ASP.NET Core's and Kestrel's (requests, durations, connections), and the runtime's (GC, thread pool). Traces
/// (OTLP only): incoming requests, except the health probes and the sockets.
/// </summary>
public static class TelemetrySetup
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string ServiceName = "flashsale-host";

    /// <summary>FlashSale's own meters.</summary>
    public static readonly string[] FlashSaleMeters = [EngineMetrics.MeterName, HostMetrics.MeterName];

    /// <summary>The meters exported besides FlashSale's.</summary>
    public static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Runtime",
    ];

    /// <summary>Whether this configuration exports metrics anywhere (the background probes run only then).</summary>
    public static bool MetricsExported(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return !string.IsNullOrWhiteSpace(configuration[EndpointKey]) ||
               configuration.GetValue<bool>($"{PrometheusOptions.Section}:{nameof(PrometheusOptions.Enabled)}");
    }

    public static IServiceCollection AddFlashSaleTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<PrometheusOptions>().BindConfiguration(PrometheusOptions.Section).ValidateOnStart();
        services.AddSingleton<IValidateOptions<PrometheusOptions>, PrometheusOptionsValidator>();
        services.AddSingleton<SaleFigures>();
        var otlp = !string.IsNullOrWhiteSpace(configuration[EndpointKey]);
        var prometheus = configuration.GetValue<bool>($"{PrometheusOptions.Section}:{nameof(PrometheusOptions.Enabled)}");
        if (!otlp && !prometheus)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(FlashSaleMeters).AddMeter(PlatformMeters);
                if (prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            telemetry
                .WithTracing(tracing => tracing
                    // No span for the probes, nor for a socket: it would stay open for the socket's hours.
                    .AddAspNetCoreInstrumentation(options =>
                        options.Filter = http => !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal) &&
                                                 !http.Request.Path.StartsWithSegments("/ws", StringComparison.Ordinal)))
                // Endpoint, protocol and headers come from the standard OTEL_EXPORTER_OTLP_* settings.
                .UseOtlpExporter();
        }
        return services;
    }
}
