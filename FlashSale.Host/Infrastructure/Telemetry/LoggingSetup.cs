namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// The console log: JSON in Production (one object per line with its scopes, so each request's lines carry its
/// TraceId and SpanId and a log shipper needs no parsing rules), the readable format elsewhere. Request lines are ours
/// (<see cref="RequestLog"/>): ASP.NET Core's own "Request starting" lines print the query string, and the socket's
/// one-use ticket travels there, so that category is held at Warning whatever the configuration says.
/// </summary>
public static class LoggingSetup
{
    /// <summary>ASP.NET Core's request lines ("Request starting GET /ws?ticket=…").</summary>
    public const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    public static WebApplicationBuilder AddFlashSaleLogging(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Logging.Configure(options => options.ActivityTrackingOptions =
            ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // Added after the configuration's rules, so it wins over any Logging:LogLevel for this category.
        builder.Logging.AddFilter(HostingDiagnostics, LogLevel.Warning);
        if (builder.Environment.IsProduction())
        {
            builder.Logging.AddJsonConsole(json =>
            {
                json.IncludeScopes = true;
                json.UseUtcTimestamp = true;
                json.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
            });
        }
        return builder;
    }
}
