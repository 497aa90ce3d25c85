namespace FlashSale.Host.Infrastructure.Security;

/// <summary>The security pieces that are not one feature's: proxies, connection guards, HTTP hardening, rate limits.</summary>
public static class SecuritySetup
{
    public static WebApplicationBuilder AddFlashSaleSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            ConnectionGuards.ConfigureKestrel(kestrel, builder.Configuration);
            HttpHardening.ConfigureKestrel(kestrel, builder.Configuration);
        });
        builder.Services.AddFlashSaleForwardedHeaders();
        builder.Services.AddFlashSaleHttpHardening();
        builder.Services.AddFlashSaleRateLimiting();
        builder.Services.AddFlashSalePayAttemptLimit();
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.Converters.Add(TextInput.Converter));
        // An unreadable body throws (outside Development too) so ProblemHandling can tell a refused text field (a
        // validation problem naming it) from malformed JSON; otherwise minimal APIs answer a bare 400 for both.
        builder.Services.Configure<Microsoft.AspNetCore.Routing.RouteHandlerOptions>(routes => routes.ThrowOnBadRequest = true);
        return builder;
    }
}
