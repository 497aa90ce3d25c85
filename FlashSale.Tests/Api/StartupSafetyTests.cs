using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Api;

public sealed class StartupSafetyTests
{
    private static WebApplication BuildHost(string environment, string signingKey)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Database=unused",
            ["Jwt:SigningKey"] = signingKey,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.AddFlashSale();
        return builder.Build();
    }

    [Theory]
    [InlineData(JwtOptions.DevelopmentSigningKey)]
    [InlineData("too-short-key")]
    [InlineData("")]
    public async Task Production_refuses_to_start_with_the_development_or_a_weak_signing_key(string key)
    {
        await using var app = BuildHost("Production", key);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("Jwt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Development_accepts_the_committed_development_key()
    {
        var validator = new JwtOptionsValidator(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        Assert.True(validator.Validate(null, new JwtOptions { SigningKey = JwtOptions.DevelopmentSigningKey }).Succeeded);
    }
}
