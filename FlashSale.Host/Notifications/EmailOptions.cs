using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.Notifications;

/// <summary>How notifications leave as email (section <c>Email</c>). No <c>Email:Smtp:Host</c>: recorded, not sent.</summary>
public sealed class EmailOptions
{
    public const string Section = "Email";

    /// <summary>The sender, e.g. <c>FlashSale &lt;shop@example.com&gt;</c>; required once an SMTP host is set.</summary>
    public string From { get; set; } = "";

    /// <summary>The shop's name in subjects and bodies.</summary>
    [Required]
    public string ShopName { get; set; } = "FlashSale";

    /// <summary>Where the page is, for the links in a message (its orders, the sale, unsubscribing).</summary>
    [Required]
    public string PublicBaseUrl { get; set; } = "http://127.0.0.1:8080";

    /// <summary>Messages one host sends per second at most: a sale with 100,000 reminders is paced, not a burst.</summary>
    [Range(1, 100_000)]
    public int MaxPerSecond { get; set; } = 50;

    public SmtpSettings Smtp { get; set; } = new();

    public bool Sends => !string.IsNullOrWhiteSpace(Smtp.Host);

    public sealed class SmtpSettings
    {
        public string Host { get; set; } = "";

        public int Port { get; set; } = 25;

        /// <summary>None, Auto, SslOnConnect or StartTls (MailKit's names).</summary>
        public string Security { get; set; } = "Auto";

        public string UserName { get; set; } = "";

        public string Password { get; set; } = "";

        public int TimeoutSeconds { get; set; } = 10;
    }

    /// <summary>
    /// Refuses at start what would only fail at the first send. The nested SMTP settings are checked here: data
    /// annotations do not reach into a nested object.
    /// </summary>
    public static bool IsValid(EmailOptions options) =>
        options is not null
        && (!options.Sends || MimeKit.MailboxAddress.TryParse(options.From, out _))
        && options.Smtp.Port is >= 1 and <= 65_535
        && options.Smtp.TimeoutSeconds is >= 1 and <= 600
        && Uri.TryCreate(options.PublicBaseUrl, UriKind.Absolute, out var page) && page.Scheme is "http" or "https"
        && Enum.TryParse<MailKit.Security.SecureSocketOptions>(options.Smtp.Security, ignoreCase: true, out _);

    public const string InvalidMessage =
        "Email: From must be a mail address when Email:Smtp:Host is set, PublicBaseUrl an absolute http(s) URL, Smtp:Port 1 to 65535, " +
        "Smtp:TimeoutSeconds 1 to 600, Smtp:Security one of None, Auto, SslOnConnect, StartTls.";
}
