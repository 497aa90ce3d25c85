using FlashSale.Host.Infrastructure.Hosting;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Api;

[Trait("Category", TestCategory.Unit)]
public sealed class StartupSafetyTests
{
    private static WebApplication BuildHost(string environment, string signingKey, Dictionary<string, string?>? extra = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = environment });
        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = "Host=127.0.0.1;Database=unused",
            ["Jwt:SigningKey"] = signingKey,
            // The default purchase path (Redis) needs a Redis; none answers here, and the host must not wait for it.
            ["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=200",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }
        builder.Configuration.AddInMemoryCollection(settings);
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

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("00:00:30")]
    [InlineData("366.00:00:00")]
    public async Task The_host_refuses_to_start_with_an_ended_sale_retention_out_of_range(string retention)
    {
        await using var app = BuildHost("Development", JwtOptions.DevelopmentSigningKey,
            new() { ["Redis:EndedSaleRetention"] = retention });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains("EndedSaleRetention", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_ended_sale_retention_binds_from_configuration_and_defaults_to_one_day()
    {
        Assert.Equal(TimeSpan.FromDays(1), new FlashSale.Engine.Redis.FlashSaleRedisOptions().EndedSaleRetention);
        var configured = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Redis:EndedSaleRetention"] = "02:30:00" }).Build();
        Assert.Equal(TimeSpan.FromMinutes(150),
            configured.GetSection("Redis").Get<FlashSale.Engine.Redis.FlashSaleRedisOptions>()!.EndedSaleRetention);
    }

    [Fact]
    public async Task Configured_engine_settings_reach_the_engines_the_host_creates()
    {
        await using var app = BuildHost("Development", JwtOptions.DevelopmentSigningKey, new()
        {
            ["Engine:CommitsInFlight"] = "3",
            ["Engine:QueueCapacity"] = "100",
            ["Engine:BatchLimit"] = "7",
        });

        var registry = app.Services.GetRequiredService<FlashSale.Engine.Core.SaleEngineRegistry>();

        Assert.Equal((3, 100, 7), (registry.Options.CommitsInFlight, registry.Options.QueueCapacity, registry.Options.BatchLimit));
    }

    [Theory]
    [InlineData("Engine:CommitsInFlight", "0")]
    [InlineData("Engine:BatchLimit", "0")]
    [InlineData("Redis:ReconcileInterval", "00:00:00")]
    public async Task The_host_refuses_to_start_with_an_engine_setting_out_of_range(string key, string value)
    {
        await using var app = BuildHost("Development", JwtOptions.DevelopmentSigningKey, new() { [key] = value });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        Assert.Contains(key.Split(':')[1], error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Development_accepts_the_committed_development_key()
    {
        var validator = new JwtOptionsValidator(new Microsoft.Extensions.Hosting.Internal.HostingEnvironment { EnvironmentName = "Development" });
        Assert.True(validator.Validate(null, new JwtOptions { SigningKey = JwtOptions.DevelopmentSigningKey }).Succeeded);
    }
}
