using System.Security.Claims;
using Dapper;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace FlashSale.Host.Notifications;

/// <summary>
/// "Notify me": a shopper asks to be told <see cref="NotifyOptions.LeadMinutes"/> before an upcoming sale opens (an
/// email and a live <c>reminder</c> frame). Each shopper sees and changes only their own reminder.
/// </summary>
public static class ReminderEndpoints
{
    public static IEndpointRouteBuilder MapReminders(this IEndpointRouteBuilder routes)
    {
        var reminders = routes.MapGroup("/api/v1/flash-sales/{id:guid}/reminders").WithTags("Notifications").RequireAuthorization()
            .RequireRateLimiting(RateLimitPolicies.Shopper);
        reminders.MapGet("/", Get);
        reminders.MapPost("/", Create).RequireCurrentSession();
        reminders.MapDelete("/", Delete).RequireCurrentSession();
        return routes;
    }

    public static async Task<Results<Ok<ReminderResponse>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db,
        IOptions<NotifyOptions> options, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var startsAt = await connection.QuerySingleOrDefaultAsync<DateTime?>(new CommandDefinition(
            """
            select s.starts_at from sale_reminders r join flash_sales s on s.id = r.flash_sale_id
            where r.flash_sale_id = @id and r.user_id = @userId
            """, new { id, userId = principal.UserId() }, cancellationToken: cancellationToken));
        return startsAt is { } starts ? TypedResults.Ok(Response(id, starts, options.Value)) : Problems.NotFound("The reminder");
    }

    /// <summary>
    /// Idempotent: asking twice is one reminder (201 the first time, 200 after). A sale that has opened is 409. A sale
    /// already inside the lead time has had its reminders queued: this one is queued at once.
    /// </summary>
    public static async Task<Results<Created<ReminderResponse>, Ok<ReminderResponse>, ProblemHttpResult>> Create(Guid id, ClaimsPrincipal principal,
        NpgsqlDataSource db, IOptions<NotifyOptions> options, TimeProvider clock, CancellationToken cancellationToken)
    {
        var userId = principal.UserId();
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var sale = await connection.QuerySingleOrDefaultAsync<SaleTimes>(new CommandDefinition(
            "select starts_at, reminders_queued_at as queued_at from flash_sales where id = @id for key share", new { id }, transaction,
            cancellationToken: cancellationToken));
        if (sale is not { } found)
        {
            return Problems.NotFound("The sale");
        }
        if (DateTime.SpecifyKind(found.StartsAt, DateTimeKind.Utc) <= clock.GetUtcNow().UtcDateTime)
        {
            return Problems.Conflict(ProblemTypes.SaleNotActive, "The sale has already opened.", "Reminders are for upcoming sales.");
        }
        var added = await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into sale_reminders (flash_sale_id, user_id, created_at) values (@id, @userId, @now)
            on conflict do nothing
            """, new { id, userId, now = clock.GetUtcNow() }, transaction, cancellationToken: cancellationToken));
        if (added == 1 && found.QueuedAt is not null && options.Value.Enabled)
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "insert into notification_outbox (kind, user_id, subject_id) values ('sale_opening', @userId, @id) on conflict do nothing",
                new { id, userId }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        var response = Response(id, found.StartsAt, options.Value);
        return added == 1 ? TypedResults.Created($"/api/v1/flash-sales/{id}/reminders", response) : TypedResults.Ok(response);
    }

    /// <summary>Cancels the shopper's reminder, and its email if it is queued and not sent yet.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> Delete(Guid id, ClaimsPrincipal principal, NpgsqlDataSource db,
        CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var removed = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            """
            with removed as (delete from sale_reminders where flash_sale_id = @id and user_id = @userId returning user_id),
            unqueued as (
                delete from notification_outbox o using removed
                where o.kind = 'sale_opening' and o.subject_id = @id and o.user_id = removed.user_id and o.state = 'pending'
            )
            select count(*)::int from removed
            """, new { id, userId = principal.UserId() }, cancellationToken: cancellationToken));
        return removed == 1 ? TypedResults.NoContent() : Problems.NotFound("The reminder");
    }

    private sealed record SaleTimes(DateTime StartsAt, DateTime? QueuedAt);

    private static ReminderResponse Response(Guid saleId, DateTime startsAt, NotifyOptions options)
    {
        var starts = DateTime.SpecifyKind(startsAt, DateTimeKind.Utc);
        return new ReminderResponse(saleId, starts, starts.AddMinutes(-options.LeadMinutes));
    }
}
