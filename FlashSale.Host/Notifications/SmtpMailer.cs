using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;

namespace FlashSale.Host.Notifications;

/// <summary>
/// Sends mail over SMTP with MailKit, one connection per dispatcher batch (opened on the first message, reused for
/// the rest, closed after the batch): a batch of a hundred messages is one TCP and TLS handshake, not a hundred.
/// </summary>
public sealed class SmtpMailer(IOptions<EmailOptions> options)
{
    public EmailOptions Options => options.Value;

    /// <summary>The domain of <see cref="EmailOptions.From"/>, for Message-Ids.</summary>
    public string Domain => MailboxAddress.TryParse(Options.From, out var from) && from.Domain is { Length: > 0 } domain ? domain : "flashsale.local";

    public Session Open() => new(Options);

    /// <summary>One batch's connection; a send that broke the connection reconnects on the next.</summary>
    public sealed class Session(EmailOptions options) : IAsyncDisposable
    {
        private readonly SmtpClient _client = new() { Timeout = options.Smtp.TimeoutSeconds * 1000 };

        public async Task SendAsync(MimeMessage message, CancellationToken cancellationToken)
        {
            if (!_client.IsConnected)
            {
                var smtp = options.Smtp;
                await _client.ConnectAsync(smtp.Host, smtp.Port, Enum.Parse<SecureSocketOptions>(smtp.Security, ignoreCase: true), cancellationToken);
                if (smtp.UserName.Length > 0)
                {
                    await _client.AuthenticateAsync(smtp.UserName, smtp.Password, cancellationToken);
                }
            }
            await _client.SendAsync(message, cancellationToken);
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                if (_client.IsConnected)
                {
                    using var quit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                    await _client.DisconnectAsync(quit: true, quit.Token);
                }
            }
            catch (Exception e) when (e is IOException or SmtpProtocolException or OperationCanceledException or SmtpCommandException)
            {
                // The batch's outcome is recorded already; a failed QUIT changes nothing.
            }
            _client.Dispose();
        }
    }
}
