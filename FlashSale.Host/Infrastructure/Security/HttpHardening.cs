using System.ComponentModel.DataAnnotations;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>Request-size limits and response headers, bound from <c>Http</c>.</summary>
public sealed class HttpHardeningOptions
{
    public const string Section = "Http";

    /// <summary>The largest request body any route takes (a route may set a smaller one with <c>WithRequestSizeLimit</c>).</summary>
    [Range(1_024, 100 * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary><c>Strict-Transport-Security</c> max-age on HTTPS responses (0 = no header).</summary>
    [Range(0, 63_072_000)]
    public int HstsSeconds { get; set; } = 31_536_000;
}

/// <summary>
/// Security headers on every response (real headers: <c>frame-ancestors</c> and HSTS have no effect from a meta tag)
/// and the request-body limit, enforced before a handler reads anything.
/// </summary>
public static class HttpHardening
{
    /// <summary>
    /// Same-origin scripts, styles and connections (<c>'self'</c> covers the page's own ws/wss), images also from
    /// anywhere (product images are URLs), no framing, no plugins, no base or form redirection.
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: http: data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    public static IServiceCollection AddFlashSaleHttpHardening(this IServiceCollection services)
    {
        services.AddOptions<HttpHardeningOptions>().BindConfiguration(HttpHardeningOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        return services;
    }

    /// <summary>Kestrel refuses larger bodies itself (chunked ones included); this is the same figure.</summary>
    public static void ConfigureKestrel(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions kestrel, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(kestrel);
        kestrel.Limits.MaxRequestBodySize = configuration.GetValue<long?>($"{HttpHardeningOptions.Section}:MaxRequestBodyBytes") ?? 64 * 1024;
    }

    public static IApplicationBuilder UseFlashSaleHttpHardening(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.ApplicationServices.GetRequiredService<IOptions<HttpHardeningOptions>>().Value;
        var hsts = options.HstsSeconds > 0 ? $"max-age={options.HstsSeconds}; includeSubDomains" : null;
        // Added when the response starts, so error answers written after the exception handler cleared the
        // response carry them too; one cached delegate, no allocation per request.
        Func<object, Task> addHeaders = state =>
        {
            var http = (HttpContext)state;
            var headers = http.Response.Headers;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            if (hsts is not null && http.Request.IsHttps)
            {
                headers.StrictTransportSecurity = hsts;
            }
            return Task.CompletedTask;
        };
        app.Use((http, next) =>
        {
            http.Response.OnStarting(addHeaders, http);
            var limit = http.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize ?? options.MaxRequestBodyBytes;
            if (http.Request.ContentLength > limit)
            {
                // Refused before anything is read; Kestrel's own limit (the same figure) stops bodies without a length.
                throw new BadHttpRequestException($"The request body is larger than {limit} bytes.", StatusCodes.Status413PayloadTooLarge);
            }
            if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = limit;
            }
            return next(http);
        });
        return app;
    }
}
