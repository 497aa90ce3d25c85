using FlashSale.Host.Notifications;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace FlashSale.Tests.Notifications;

/// <summary>Issue 16: mail settings that could only fail at the first send are refused when the host starts.</summary>
[Trait("Category", TestCategory.Unit)]
public sealed class NotificationSettingsTests
{
    private static EmailOptions Email(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddFlashSaleNotifications(configuration);
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptions<EmailOptions>>().Value;
    }

    [Theory]
    [InlineData("Email:From", "not an address")]
    [InlineData("Email:From", "")]
    [InlineData("Email:Smtp:Security", "Sometimes")]
    [InlineData("Email:PublicBaseUrl", "/relative")]
    [InlineData("Email:MaxPerSecond", "0")]
    [InlineData("Email:Smtp:Port", "70000")]
    public void A_mail_server_with_a_setting_that_cannot_work_is_refused(string key, string value)
    {
        var settings = new Dictionary<string, string?> { ["Email:Smtp:Host"] = "127.0.0.1", ["Email:From"] = "Shop <shop@example.com>", [key] = value };

        Assert.Throws<OptionsValidationException>(() => Email(settings));
    }

    [Fact]
    public void No_mail_server_is_allowed_and_means_recorded_but_not_sent()
    {
        var email = Email(new Dictionary<string, string?>());

        Assert.False(email.Sends);
        Assert.True(Email(new Dictionary<string, string?> { ["Email:Smtp:Host"] = "127.0.0.1", ["Email:From"] = "shop@example.com" }).Sends);
    }
}
