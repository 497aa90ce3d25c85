using System.Text.Json.Serialization;
using FlashSale.Engine.Core;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Sales;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// A shopper's place in a sale's line. <see cref="Position"/> counts the present shoppers ahead (0 once admitted);
/// <see cref="EtaSeconds"/> is the position at the sale's rate, counted from the opening for an upcoming sale;
/// <see cref="AdmittedUntil"/> is when an admitted shopper's window to buy ends. <see cref="PollAfterMs"/> is null
/// when the shopper follows the sale on a socket of this host: its queue frames carry the line, so it should not poll
/// (only if the socket closes); otherwise it is when to ask again. <see cref="Prequeue"/> is true while the shopper is
/// an entrant of a pre-queue waiting for its draw (ticket 0; <see cref="Entrants"/> so far; <see cref="EtaSeconds"/> until
/// the draw); <see cref="DrawReceipt"/> is a drawn shopper's receipt. <see cref="Paused"/> is true while the operator
/// holds admission (an emergency stop): the shopper keeps the place, and the line goes on from it on resume.
/// </summary>
public sealed record QueueResponse(
    long Ticket,
    long Position,
    long AdmittedThrough,
    bool Admitted,
    DateTime? AdmittedUntil,
    int EtaSeconds,
    int? PollAfterMs,
    int RatePerSecond,
    int AdmissionWindowSeconds,
    bool Prequeue = false,
    long? Entrants = null,
    DrawReceipt? DrawReceipt = null,
    bool Paused = false);

/// <summary>
/// A drawn shopper's proof: <see cref="Index"/> is the shopper's position in the sorted entrant list whose SHA-256 is
/// <see cref="ListDigest"/>; with the seed published at <see cref="Verify"/> anyone recomputes which ticket that index drew.
/// </summary>
public sealed record DrawReceipt(int Index, long Ticket, int Entrants, string ListDigest, string Verify);

/// <summary>The optional body of a join: the proof of work when the sale asks for one (<see cref="JoinChallenge"/>).</summary>
public sealed record JoinRequest(ulong? Nonce);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(QueueResponse))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(FairnessResponse))]
internal sealed partial class WaitingRoomJsonContext : JsonSerializerContext;

/// <summary>The stable problem types of the waiting room.</summary>
public static class WaitingRoomProblems
{
    private const string Base = "https://flashsale.dev/problems/";

    /// <summary>409: the sale sells without a line; buy directly.</summary>
    public const string NoWaitingRoom = Base + "no-waiting-room";

    /// <summary>404 from GET queue/me: no live place (never joined, or the turn lapsed / was used up).</summary>
    public const string NotInLine = Base + "not-in-line";

    /// <summary>400 from a join: the sale asks for a proof of work and the request's nonce does not solve it.</summary>
    public const string ChallengeFailed = Base + "challenge-failed";

    /// <summary>409 from a join: the sale's pre-queue has not opened yet (it opens prequeueSeconds before the start).</summary>
    public const string PrequeueNotOpen = Base + "prequeue-not-open";

    /// <summary>409 from GET …/fairness: the sale has no pre-queue, so there is no draw.</summary>
    public const string NoPrequeue = Base + "no-prequeue";

    /// <summary>409 from GET …/fairness: the draw has not happened yet (the seed stays secret until it has).</summary>
    public const string DrawNotDone = Base + "draw-not-done";

    /// <summary>501: this host runs without Redis (single-node mode), where the waiting room is not offered.</summary>
    public const string WaitingRoomUnavailable = Base + "waiting-room-unavailable";
}

/// <summary>
/// What the line's endpoints use. <see cref="Desk"/> exists only on the Redis purchase path: a single host offers no
/// waiting room, and its absence is how an endpoint knows.
/// </summary>
public sealed record LineServices(SaleDefinitions Definitions, WaitingRoomCatalog Catalog, IStockAuthority Authority, ILineFollowers Followers,
    IOptions<WaitingRoomOptions> Options, TimeProvider Clock, [FromServices] LineDesk? Desk = null, [FromServices] PrequeueDraw? Draw = null);

public static class QueueEndpoints
{
    public static IEndpointRouteBuilder MapWaitingRoom(this IEndpointRouteBuilder routes)
    {
        var queue = routes.MapGroup("/api/v1/flash-sales/{id:guid}/queue").WithTags("Waiting room").RequireAuthorization()
            .RequireRateLimiting(RateLimitPolicies.Shopper);
        queue.MapPost("/", (Guid id, HttpContext http, JoinRequest? body, [AsParameters] LineServices services, CancellationToken ct) =>
            PlaceAsync(id, http, join: true, services, body?.Nonce, ct));
        queue.MapGet("/me", (Guid id, HttpContext http, [AsParameters] LineServices services, CancellationToken ct) =>
            PlaceAsync(id, http, join: false, services, null, ct));
        return routes;
    }

    /// <summary>
    /// Joins (idempotent: one live ticket per shopper) or reads the shopper's place. A join of a sale with a join
    /// challenge needs a <paramref name="nonce"/> that solves it, checked before anything reaches Redis.
    /// </summary>
    public static async Task<Results<Ok<QueueResponse>, ProblemHttpResult>> PlaceAsync(Guid id, HttpContext http, bool join,
        LineServices services, ulong? nonce, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(http);
        var (definitions, catalog, clock, desk) = (services.Definitions, services.Catalog, services.Clock, services.Desk);
        var sale = await definitions.FindAsync(id, cancellationToken);
        if (sale is null)
        {
            return Problems.NotFound("The flash sale");
        }
        if (!sale.WaitingRoom)
        {
            return NoWaitingRoom();
        }
        if (desk is null)
        {
            return Problems.Of(StatusCodes.Status501NotImplemented, WaitingRoomProblems.WaitingRoomUnavailable,
                "The waiting room needs Redis; this host runs alone without it.",
                "Run the host with ConnectionStrings:Redis set, or turn the sale's waiting room off.");
        }
        var settings = await catalog.GetAsync(id, cancellationToken);
        var now = clock.GetUtcNow().ToUnixTimeMilliseconds();
        if (join && now >= sale.EndsAt.ToUnixTimeMilliseconds())
        {
            // Nobody will be admitted any more: a ticket now would only be a place in a line that never moves.
            return Problems.Conflict(ProblemTypes.SaleNotActive, "The sale has ended.", "Its line is closed.");
        }
        var userId = http.User.UserId();
        if (join && settings is { JoinChallengeBits: > 0 and var bits } && !(nonce is { } n && JoinChallenge.IsSolved(id, userId, n, bits)))
        {
            return Problems.Of(StatusCodes.Status400BadRequest, WaitingRoomProblems.ChallengeFailed,
                nonce is null ? "This sale's line asks for a proof of work." : "The nonce does not solve this sale's join challenge.",
                $"Send {{\"nonce\": N}} where the SHA-256 of the sale's joinChallenge input starts with {bits} zero bits. Nothing changed.");
        }
        if (join && settings is { PrequeueSeconds: > 0 and var prequeue } && now < sale.StartsAt.ToUnixTimeMilliseconds() - (prequeue * 1000L))
        {
            return Problems.Conflict(WaitingRoomProblems.PrequeueNotOpen, "The pre-queue has not opened yet.",
                $"It opens {prequeue} s before the sale starts, at {sale.StartsAt.AddSeconds(-prequeue):O}. Nothing changed.");
        }
        QueuePlace place;
        try
        {
            place = await desk.PlaceAsync(id, userId, join);
            if (place.Outcome == QueueOutcome.NoSaleState)
            {
                // Redis lost the sale (or never saw it): install it from PostgreSQL, as the first purchase would.
                await services.Authority.EnsureInitializedAsync(sale, cancellationToken);
                place = await desk.PlaceAsync(id, userId, join);
            }
        }
        catch (LineBusyException)
        {
            return Problems.Unavailable(http, 1, "The line is busy right now.",
                "Nothing changed. Try again after the Retry-After delay.");
        }
        catch (Exception e) when (e is SaleEpochMovedException or Npgsql.NpgsqlException or TimeoutException)
        {
            // The new ticket could not be journaled (PostgreSQL failed, or the sale's state was rebuilt meanwhile): it
            // was taken back, so the shopper is told nothing that a Redis data loss could take away.
            return Problems.Unavailable(http, 1, "The line could not record your place.",
                "Nothing changed. Try again after the Retry-After delay.");
        }
        if (place.Outcome == QueueOutcome.NoSaleState && now >= sale.EndsAt.ToUnixTimeMilliseconds())
        {
            // An ended sale whose Redis state was removed past its retention is not rebuilt: it has ended, for good.
            return Problems.Conflict(ProblemTypes.SaleNotActive, "The sale has ended.", "Its line is closed.");
        }
        switch (place.Outcome)
        {
            case QueueOutcome.InLine:
                break;
            case QueueOutcome.Entrant:
                return TypedResults.Ok(Entrant(id, userId, place, settings, sale.StartsAt, now, services));
            case QueueOutcome.NotInLine:
                return Problems.Of(StatusCodes.Status404NotFound, WaitingRoomProblems.NotInLine, "You are not in this sale's line.",
                    "Join the line (POST …/queue). A place whose turn passed, or that was used to buy the limit, is gone.");
            case QueueOutcome.NoWaitingRoom:
                return NoWaitingRoom();
            case QueueOutcome.SoldOut:
                return Problems.Conflict(ProblemTypes.SoldOut, "The sale is sold out.",
                    "Nothing is left to wait for, so no new places are given. Shoppers already in line keep theirs: if units come back, the line resumes in ticket order.");
            default:
                return Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ServiceUnavailable, "The line is not available right now.",
                    "Try again in a moment.");
        }
        var rate = Math.Max(1, settings?.RatePerSecond ?? SaleLimits.DefaultAdmissionRatePerSecond);
        var position = place.Admitted ? 0 : place.Position;
        var eta = (int)Math.Min(int.MaxValue, (position + rate - 1) / rate);
        // A shopper whose socket here follows the sale hears the line from its frames and is kept present by this
        // host (LinePresence): no polling at all. Others poll about four times before the turn comes, never more than
        // once a second nor less than every 10 s, and at least three times per presence timeout (a poll is what keeps
        // a shopper without a socket present).
        var most = (int)Math.Clamp(services.Options.Value.PresenceTimeoutSeconds * 1000 / 3, 100, 10_000);
        int? pollAfter = services.Followers.IsFollowing(id, userId) ? null
            : place.Admitted ? Math.Min(5_000, most) : (int)Math.Clamp(eta * 250L, Math.Min(1_000, most), most);
        DrawReceipt? receipt = null;
        if (settings is { PrequeueSeconds: > 0 } && services.Draw is { } draw && await draw.FindAsync(id, cancellationToken) is { } drawn
            && drawn.IndexOf(place.Ticket) is { } index)
        {
            receipt = new DrawReceipt(index, place.Ticket, drawn.Entrants, drawn.ListDigest, $"/api/v1/flash-sales/{id}/fairness");
        }
        return TypedResults.Ok(new QueueResponse(place.Ticket, position, place.AdmittedThrough, place.Admitted,
            place.Admitted ? DateTimeOffset.FromUnixTimeMilliseconds(place.AdmittedUntilUnixMs).UtcDateTime : null,
            eta, pollAfter, rate, settings?.WindowSeconds ?? SaleLimits.DefaultAdmissionWindowSeconds, DrawReceipt: receipt, Paused: place.Paused));
    }

    /// <summary>
    /// A pre-queue entrant's answer: no ticket before the draw; <c>etaSeconds</c> counts to the start (the draw). A shopper
    /// without a socket here polls at least three times per presence timeout, so the draw finds it present.
    /// </summary>
    private static QueueResponse Entrant(Guid id, Guid userId, QueuePlace place, WaitingRoomSale? settings, DateTimeOffset startsAt, long now,
        LineServices services)
    {
        var untilDraw = Math.Max(0, startsAt.ToUnixTimeMilliseconds() - now);
        var most = (int)Math.Clamp(services.Options.Value.PresenceTimeoutSeconds * 1000 / 3, 100, 10_000);
        int? pollAfter = services.Followers.IsFollowing(id, userId) ? null : (int)Math.Clamp(untilDraw, Math.Min(1_000, most), most);
        return new QueueResponse(0, 0, 0, false, null, (int)Math.Min(int.MaxValue, (untilDraw + 999) / 1000), pollAfter,
            Math.Max(1, settings?.RatePerSecond ?? SaleLimits.DefaultAdmissionRatePerSecond),
            settings?.WindowSeconds ?? SaleLimits.DefaultAdmissionWindowSeconds, Prequeue: true, Entrants: place.Position, Paused: place.Paused);
    }

    private static ProblemHttpResult NoWaitingRoom() =>
        Problems.Conflict(WaitingRoomProblems.NoWaitingRoom, "This sale has no waiting room.", "Buy directly: POST /api/v1/orders.");
}
