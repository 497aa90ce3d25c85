using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Api;

public sealed class StartupSafetyTests
{
    private sealed class ProductionApp(string signingKey) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment("Production");
            builder.ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Database=unused",
                ["Jwt:SigningKey"] = signingKey,
            }));
        }
    }

    [Theory]
    [InlineData(JwtOptions.DevelopmentSigningKey)]
    [InlineData("too-short-key")]
    [InlineData("")]
    public void Production_refuses_to_start_with_the_development_or_a_weak_signing_key(string key)
    {
        using var app = new ProductionApp(key);
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        Assert.IsType<OptionsValidationException>(error.GetBaseException() as OptionsValidationException ?? error);
    }
}
