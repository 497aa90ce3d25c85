using System.Diagnostics;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>
/// One line per request under the <c>FlashSale.Requests</c> category: method, path, status and time. Never the query
/// string (the socket's ticket travels there), never a header (tokens), never a body (passwords, card numbers). Off
/// unless <c>Logging:LogLevel:FlashSale.Requests</c> is Information: a line per purchase in a storm of 20,000 a second
/// would cost more than the purchase. Switched off, a request pays one level check and no allocation (the middleware
/// hands the request on without wrapping it); errors are logged where they happen either way.
/// </summary>
public static partial class RequestLog
{
    public const string Category = "FlashSale.Requests";

    public static WebApplication UseFlashSaleRequestLog(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category);
        app.Use((HttpContext http, RequestDelegate next) => logger.IsEnabled(LogLevel.Information) ? LoggedAsync(logger, http, next) : next(http));
        return app;
    }

    private static async Task LoggedAsync(ILogger logger, HttpContext http, RequestDelegate next)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(http);
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var path = http.Request.Path.Value ?? "";
            LogServed(logger, http.Request.Method, path, http.Response.StatusCode, elapsed);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Method} {Path} answered {StatusCode} in {ElapsedMs:0.0} ms")]
    private static partial void LogServed(ILogger logger, string method, string path, int statusCode, double elapsedMs);
}
