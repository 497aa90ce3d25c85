using Dapper;
using Microsoft.Extensions.Options;
using MimeKit;
using Npgsql;

namespace FlashSale.Host.Notifications;

/// <summary>
/// Sends the outbox. Every host runs one; a batch is claimed with <c>FOR UPDATE SKIP LOCKED</c> inside a transaction
/// that stays open while the batch is sent and ends with one statement recording every row's outcome, so:
/// <list type="bullet">
/// <item>two hosts never send the same row at once (the second skips the locked rows);</item>
/// <item>a host killed mid-batch releases its locks with its connection and the rows are still pending: another host
/// or the restarted one sends them. A message that reached the SMTP server just before the kill is sent again with
/// the same Message-Id (<see cref="OutboxMessage.MessageId"/>), which is what lets a mail system recognise it;</item>
/// <item>a failed send is retried after <see cref="NotifyOptions.RetryDelaySeconds"/>, doubling up to
/// <see cref="NotifyOptions.MaxRetryDelaySeconds"/>; after <see cref="NotifyOptions.MaxAttempts"/> the row is dead;</item>
/// <item>a kind the shopper turned off is marked skipped, never sent.</item>
/// </list>
/// Sending is paced to <see cref="EmailOptions.MaxPerSecond"/> on this host. When idle, it deletes one batch of messages
/// finished (sent or skipped) more than <see cref="NotifyOptions.RetentionHours"/> ago, so the outbox does not grow
/// with every message ever sent (<see cref="PruneOnceAsync"/>). Without <c>Email:Smtp:Host</c> the rows
/// stay pending (visible to their shopper) and the dispatcher only says so, once, at start.
/// </summary>
public sealed partial class OutboxDispatcher(
    NpgsqlDataSource db,
    SmtpMailer mailer,
    UnsubscribeLinks unsubscribe,
    IOptions<NotifyOptions> notify,
    TimeProvider clock,
    ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private const string Claim =
        """
        select o.id, o.kind, o.user_id, o.subject_id, o.subject_version, o.attempts, u.email, u.display_name,
               (x.user_id is not null) as opted_out, s.id as sale_id, p.name as product_name, s.sale_price, s.starts_at,
               d.quantity, d.unit_price, d.total_price, d.expires_at
        from notification_outbox o
        join users u on u.id = o.user_id
        left join notification_opt_outs x on x.user_id = o.user_id and x.kind = o.kind
        left join orders d on d.id = o.subject_id and o.kind in ('reserved', 'paid', 'expired', 'cancelled')
        left join flash_sales s on s.id = coalesce(d.flash_sale_id, o.subject_id)
        left join products p on p.id = s.product_id
        where o.state = 'pending' and o.next_attempt_at <= now()
        order by o.next_attempt_at, o.id
        limit @limit
        for update of o skip locked
        """;

    private const string Record =
        """
        update notification_outbox o set
            state = r.state,
            attempts = o.attempts + r.tried,
            sent_at = case when r.state = 'sent' then now() else o.sent_at end,
            next_attempt_at = now() + make_interval(secs => r.delay),
            last_error = r.error
        from unnest(@ids, @states, @tried, @delays, @errors) as r(id, state, tried, delay, error)
        where o.id = r.id
        """;

    /// <summary>
    /// A finished row's <c>next_attempt_at</c> is when it finished (<see cref="Record"/> with no delay); the partial index
    /// of finished rows (migration 0071) finds the old ones without reading the pending, dead or recent ones. SKIP LOCKED:
    /// two hosts pruning at once each delete other rows instead of waiting on each other.
    /// </summary>
    private const string Prune =
        """
        delete from notification_outbox where id in (
            select id from notification_outbox
            where state in ('sent', 'skipped') and next_attempt_at < now() - make_interval(secs => @retention)
            limit @limit for update skip locked
        )
        """;

    private readonly NotifyOptions _notify = notify.Value;
    private readonly EmailOptions _email = mailer.Options;
    private long _nextSendTicks;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!_email.Sends)
        {
            LogNotSending(logger);
            return;
        }
        var idle = TimeSpan.FromMilliseconds(_notify.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            var handled = 0;
            try
            {
                handled = await DispatchOnceAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogDispatchFailed(logger, e);
            }
            if (handled < _notify.BatchSize)
            {
                await PruneWhenIdleAsync(stoppingToken);
                await Task.Delay(idle, clock, stoppingToken);
            }
        }
    }

    /// <summary>Claims one batch of due messages, sends them and records each outcome; returns how many it claimed.</summary>
    public async Task<int> DispatchOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var batch = (await connection.QueryAsync<OutboxMessage>(new CommandDefinition(Claim, new { limit = _notify.BatchSize }, transaction,
            cancellationToken: cancellationToken))).AsList();
        if (batch.Count == 0)
        {
            return 0;
        }
        var outcomes = new Outcomes(batch.Count);
        await using (var session = mailer.Open())
        {
            string? broken = null;
            foreach (var message in batch)
            {
                if (message.OptedOut)
                {
                    outcomes.Add(message.Id, "skipped", tried: 0, delay: 0, error: null);
                    continue;
                }
                if (broken is not null)
                {
                    // The server cannot be reached: the rest of the batch is not tried now, and loses no attempt.
                    outcomes.Add(message.Id, "pending", tried: 0, delay: RetryDelay(message.Attempts), error: broken);
                    continue;
                }
                await PaceAsync(cancellationToken);
                try
                {
                    await session.SendAsync(Build(message), cancellationToken);
                    outcomes.Add(message.Id, "sent", tried: 1, delay: 0, error: null);
                }
                catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    var dead = message.Attempts + 1 >= _notify.MaxAttempts;
                    outcomes.Add(message.Id, dead ? "dead" : "pending", tried: 1, delay: RetryDelay(message.Attempts), error: Describe(e));
                    LogSendFailed(logger, message.Kind, message.Id, message.Attempts + 1, dead, e.Message);
                    if (e is System.Net.Sockets.SocketException or IOException or MailKit.Security.AuthenticationException
                        or MailKit.Net.Smtp.SmtpProtocolException)
                    {
                        broken = Describe(e);
                    }
                }
            }
        }
        await connection.ExecuteAsync(new CommandDefinition(Record, outcomes.Parameters(), transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return batch.Count;
    }

    /// <summary>Deletes up to <see cref="NotifyOptions.PruneBatch"/> messages finished longer ago than the retention; returns how many.</summary>
    public async Task<int> PruneOnceAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition(Prune, new { retention = _notify.RetentionHours * 3600, limit = _notify.PruneBatch },
            cancellationToken: cancellationToken));
    }

    private async Task PruneWhenIdleAsync(CancellationToken stoppingToken)
    {
        try
        {
            await PruneOnceAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            LogPruneFailed(logger, e);
        }
    }

    private MimeMessage Build(OutboxMessage message)
    {
        var baseUrl = _email.PublicBaseUrl.TrimEnd('/');
        var unsubscribeUrl = unsubscribe.For(message.UserId, message.Kind);
        var rendered = NotificationTemplates.Render(message, _email.ShopName, baseUrl + NotificationTemplates.PagePath(message), unsubscribeUrl);
        var mail = new MimeMessage { Subject = rendered.Subject, MessageId = message.MessageId(mailer.Domain) };
        mail.From.Add(MailboxAddress.Parse(_email.From));
        mail.To.Add(new MailboxAddress(message.DisplayName, message.Email));
        // RFC 8058: a mail client's "unsubscribe" button POSTs to the link, no page and no sign-in.
        mail.Headers.Add("List-Unsubscribe", $"<{unsubscribeUrl}>");
        mail.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        mail.Headers.Add("X-FlashSale-Kind", message.Kind);
        mail.Body = new BodyBuilder { TextBody = rendered.Text, HtmlBody = rendered.Html }.ToMessageBody();
        return mail;
    }

    /// <summary>At most <see cref="EmailOptions.MaxPerSecond"/> sends a second on this host: each send takes the next slot.</summary>
    private async Task PaceAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetTimestamp();
        var slot = Math.Max(now, _nextSendTicks);
        _nextSendTicks = slot + (long)(clock.TimestampFrequency / (double)_email.MaxPerSecond);
        if (slot > now)
        {
            await Task.Delay(clock.GetElapsedTime(now, slot), clock, cancellationToken);
        }
    }

    private double RetryDelay(int attemptsBefore) =>
        Math.Min(_notify.RetryDelaySeconds * Math.Pow(2, Math.Min(attemptsBefore, 30)), _notify.MaxRetryDelaySeconds);

    private static string Describe(Exception e)
    {
        var text = $"{e.GetType().Name}: {e.Message}";
        return text.Length <= 500 ? text : text[..500];
    }

    /// <summary>The batch's outcomes as the arrays of one <c>unnest</c> update.</summary>
    private sealed class Outcomes(int capacity)
    {
        private readonly List<long> _ids = new(capacity);
        private readonly List<string> _states = new(capacity);
        private readonly List<int> _tried = new(capacity);
        private readonly List<double> _delays = new(capacity);
        private readonly List<string?> _errors = new(capacity);

        public void Add(long id, string state, int tried, double delay, string? error)
        {
            _ids.Add(id);
            _states.Add(state);
            _tried.Add(tried);
            _delays.Add(delay);
            _errors.Add(error);
        }

        public object Parameters() => new
        {
            ids = _ids.ToArray(), states = _states.ToArray(), tried = _tried.ToArray(), delays = _delays.ToArray(), errors = _errors.ToArray(),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Email:Smtp:Host is not set: notifications are recorded in the outbox but not sent")]
    private static partial void LogNotSending(ILogger logger);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification dispatch failed; retrying next period")]
    private static partial void LogDispatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Deleting old sent notifications failed; retrying next period")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sending {Kind} notification {Id} failed (attempt {Attempt}, dead: {Dead}): {Error}")]
    private static partial void LogSendFailed(ILogger logger, string kind, long id, int attempt, bool dead, string error);
}
