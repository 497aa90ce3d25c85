using FlashSale.Engine.Core;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// Metrics and traces over OTLP, switched on by the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> setting (environment
/// variable or configuration key), the way the .NET service defaults do it. Without an endpoint nothing is
/// registered, so a host nobody collects from pays nothing for it on the purchase path.
/// Metrics: the engine's meter (batch sizes, Lua and commit times, journal rows per commit), ASP.NET Core's and
/// Kestrel's (requests, durations, connections), and the runtime's (GC, thread pool). Traces: incoming requests,
/// except the health probes.
/// </summary>
public static class TelemetrySetup
{
    public const string EndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";

    public const string ServiceName = "flashsale-host";

    /// <summary>The meters exported besides the engine's.</summary>
    public static readonly string[] PlatformMeters =
    [
        "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Server.Kestrel",
        "Microsoft.AspNetCore.RateLimiting",
        "System.Runtime",
    ];

    public static IServiceCollection AddFlashSaleTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        if (string.IsNullOrWhiteSpace(configuration[EndpointKey]))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName))
            .WithMetrics(metrics => metrics
                .AddMeter(EngineMetrics.MeterName)
                .AddMeter(PlatformMeters))
            .WithTracing(tracing => tracing
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = http => !http.Request.Path.StartsWithSegments("/health", StringComparison.Ordinal)))
            // Endpoint, protocol and headers come from the standard OTEL_EXPORTER_OTLP_* settings.
            .UseOtlpExporter();
        return services;
    }
}
