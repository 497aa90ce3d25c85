using System.Security.Claims;
using Dapper;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace FlashSale.Host.Notifications;

/// <summary>
/// A shopper's own notifications and preferences, the admin's dead letters, and the one-click unsubscribe. A shopper
/// only ever reads rows of their own user id; the unsubscribe link needs no sign-in because its signature names the
/// shopper and the kind (<see cref="UnsubscribeLinks"/>).
/// </summary>
public static class NotificationEndpoints
{
    public const int MaxItems = 100;

    public static IEndpointRouteBuilder MapNotifications(this IEndpointRouteBuilder routes)
    {
        var mine = routes.MapGroup("/api/v1/notifications").WithTags("Notifications");
        mine.MapGet("/", List).RequireAuthorization();
        mine.MapGet("/dead-letters", DeadLetters).RequireAuthorization(Roles.AdminPolicy);
        mine.MapPost("/{id:long}/retry", Retry).RequireAuthorization(Roles.AdminPolicy);
        mine.MapGet("/unsubscribe", UnsubscribePage).RequireRateLimiting(RateLimitPolicies.Session);
        mine.MapPost("/unsubscribe", Unsubscribe).RequireRateLimiting(RateLimitPolicies.Session);

        var preferences = routes.MapGroup("/api/v1/auth/me/notifications").WithTags("Notifications").RequireAuthorization();
        preferences.MapGet("/", GetPreferences);
        preferences.MapPut("/", PutPreferences).RequireCurrentSession();
        routes.MapReminders();
        return routes;
    }

    public static async Task<Results<Ok<NotificationItem[]>, ValidationProblem>> List(int? limit, ClaimsPrincipal principal, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        if (limit is not null and (< 1 or > MaxItems))
        {
            return Problems.Validation("limit", $"The limit must be 1 to {MaxItems}.");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var items = await connection.QueryAsync<NotificationItem>(new CommandDefinition(
            """
            select id, kind, subject_id, state, attempts, created_at, sent_at from notification_outbox
            where user_id = @userId order by id desc limit @limit
            """, new { userId = principal.UserId(), limit = limit ?? 20 }, cancellationToken: cancellationToken));
        return TypedResults.Ok(items.ToArray());
    }

    public static async Task<Results<Ok<DeadLetter[]>, ValidationProblem>> DeadLetters(int? limit, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        if (limit is not null and (< 1 or > MaxItems))
        {
            return Problems.Validation("limit", $"The limit must be 1 to {MaxItems}.");
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var items = await connection.QueryAsync<DeadLetter>(new CommandDefinition(
            """
            select o.id, o.kind, o.user_id, u.email, o.subject_id, o.attempts, o.last_error, o.created_at
            from notification_outbox o join users u on u.id = o.user_id
            where o.state = 'dead' order by o.id desc limit @limit
            """, new { limit = limit ?? 50 }, cancellationToken: cancellationToken));
        return TypedResults.Ok(items.ToArray());
    }

    /// <summary>Puts a dead letter back in the queue with a fresh count of attempts (after the admin fixed the cause).</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Retry(long id, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var changed = await connection.ExecuteAsync(new CommandDefinition(
            "update notification_outbox set state = 'pending', attempts = 0, next_attempt_at = now() where id = @id and state = 'dead'",
            new { id }, cancellationToken: cancellationToken));
        return changed == 1 ? TypedResults.NoContent() : Problems.NotFound("The dead letter");
    }

    public static async Task<Ok<NotificationPreferences>> GetPreferences(ClaimsPrincipal principal, NpgsqlDataSource db, CancellationToken cancellationToken) =>
        TypedResults.Ok(await ReadPreferencesAsync(db, principal.UserId(), cancellationToken));

    public static async Task<Results<Ok<NotificationPreferences>, ValidationProblem>> PutPreferences(PreferencesChange change, ClaimsPrincipal principal,
        NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        if (change.Validate() is { IsValid: false } errors)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var userId = principal.UserId();
        var changes = change.Changes().ToList();
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                """
                with off as (
                    insert into notification_opt_outs (user_id, kind, created_at)
                    select @userId, k, @now from unnest(@off) as k on conflict do nothing
                )
                delete from notification_opt_outs where user_id = @userId and kind = any(@on)
                """,
                new
                {
                    userId, now = clock.GetUtcNow(),
                    off = changes.Where(c => !c.On).Select(c => c.Kind).ToArray(),
                    on = changes.Where(c => c.On).Select(c => c.Kind).ToArray(),
                },
                cancellationToken: cancellationToken));
        }
        return TypedResults.Ok(await ReadPreferencesAsync(db, userId, cancellationToken));
    }

    /// <summary>What the link in an email opens: a page with one button, so a link scanner that follows GETs unsubscribes nobody.</summary>
    public static async Task<Results<ContentHttpResult, ValidationProblem, ProblemHttpResult>> UnsubscribePage(Guid? user, string? kind, string? sig,
        UnsubscribeLinks links, NpgsqlDataSource db, CancellationToken cancellationToken)
    {
        switch (Verify(user, kind, sig, links))
        {
            case Link.Incomplete:
                return Incomplete();
            case Link.Forged:
                return Forged();
        }
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            if (!await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
                "select exists (select 1 from users where id = @user)", new { user }, cancellationToken: cancellationToken)))
            {
                return Gone();
            }
        }
        var action = System.Net.WebUtility.HtmlEncode($"{UnsubscribeLinks.Path}?user={user:D}&kind={kind}&sig={sig}");
        var what = System.Net.WebUtility.HtmlEncode(kind!.Replace('_', ' '));
        return TypedResults.Content(
            $"""
            <!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head>
            <body style="font-family:sans-serif"><h1>Stop "{what}" emails?</h1>
            <form method="post" action="{action}"><button type="submit">Unsubscribe</button></form></body></html>
            """, "text/html; charset=utf-8");
    }

    /// <summary>
    /// One click (RFC 8058's POST, or the page's button): the kind is off for that shopper. Repeating it changes nothing;
    /// a link of a shopper who no longer exists is a 404.
    /// </summary>
    public static async Task<Results<Ok<UnsubscribeResponse>, ValidationProblem, ProblemHttpResult>> Unsubscribe(Guid? user, string? kind, string? sig,
        UnsubscribeLinks links, NpgsqlDataSource db, TimeProvider clock, CancellationToken cancellationToken)
    {
        switch (Verify(user, kind, sig, links))
        {
            case Link.Incomplete:
                return Incomplete();
            case Link.Forged:
                return Forged();
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var found = await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            """
            with shopper as (select id from users where id = @user),
            off as (insert into notification_opt_outs (user_id, kind, created_at) select id, @kind, @now from shopper on conflict do nothing)
            select exists (select 1 from shopper)
            """, new { user, kind, now = clock.GetUtcNow() }, cancellationToken: cancellationToken));
        return found ? TypedResults.Ok(new UnsubscribeResponse(user!.Value, kind!, Unsubscribed: true)) : Gone();
    }

    private enum Link { Valid, Incomplete, Forged }

    /// <summary>A link missing a part or naming an unknown kind is a 400; one whose signature does not match its shopper and kind, a 403.</summary>
    private static Link Verify(Guid? user, string? kind, string? sig, UnsubscribeLinks links) =>
        user is not { } id || kind is null || sig is null || !NotificationKinds.All.Contains(kind) ? Link.Incomplete
        : links.IsValid(id, kind, sig) ? Link.Valid : Link.Forged;

    private static ValidationProblem Incomplete() =>
        Problems.Validation("sig", "The unsubscribe link is incomplete: it needs user, kind and sig as sent in the email.");

    /// <summary>A genuine link of a shopper whose account is gone: nothing to turn off, and no claim that something was.</summary>
    private static ProblemHttpResult Gone() => Problems.NotFound("The shopper of this unsubscribe link");

    private static ProblemHttpResult Forged() =>
        Problems.Of(StatusCodes.Status403Forbidden, ProblemTypes.Forbidden, "This unsubscribe link is not valid.", "Use the link of the email as it was sent.");

    private static async Task<NotificationPreferences> ReadPreferencesAsync(NpgsqlDataSource db, Guid userId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var off = await connection.QueryAsync<string>(new CommandDefinition(
            "select kind from notification_opt_outs where user_id = @userId", new { userId }, cancellationToken: cancellationToken));
        return NotificationPreferences.From(off.ToHashSet(StringComparer.Ordinal));
    }
}
