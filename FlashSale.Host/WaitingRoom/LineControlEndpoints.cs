using System.Text.Json.Serialization;
using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Sales;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// What an operator sees of a line. <see cref="Present"/> shoppers wait and are here (returning ones included);
/// <see cref="Absent"/> places belong to shoppers away (waiting, or skipped once the line passed them);
/// <see cref="AdmittedNotBought"/> hold a live admission; <see cref="Conversion"/> is shoppers holding units per
/// admission made; <see cref="PurchasesPerSecond"/> is units taken per second since the opening;
/// <see cref="EtaLastTicketSeconds"/> is when the last present shopper's turn comes at the sale's rate.
/// </summary>
public sealed record LineStatsResponse(
    long Issued,
    long AdmittedThrough,
    bool Paused,
    long Present,
    long Absent,
    long Abandoned,
    long Returning,
    long AdmittedTotal,
    long AdmittedNotBought,
    long Buyers,
    double PurchasesPerSecond,
    double? Conversion,
    long EtaLastTicketSeconds,
    int RatePerSecond,
    int RemainingStock);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(LineStatsResponse))]
internal sealed partial class LineControlJsonContext : JsonSerializerContext;

/// <summary>
/// The services the operator's line routes use; <see cref="Room"/> and <see cref="Journal"/> exist only on the Redis
/// purchase path.
/// </summary>
public sealed record LineControlServices(SaleDefinitions Definitions, WaitingRoomCatalog Catalog, IStockAuthority Authority,
    SaleSignals Signals, [FromServices] RedisWaitingRoom? Room = null, [FromServices] PostgresLineJournal? Journal = null);

/// <summary>
/// The operator's controls of a line (admin only): pause stops admission (an emergency stop: shoppers already admitted
/// keep their windows and buy as before; the line keeps presence), resume continues from where it stopped. The flag
/// lives in Redis and the lease holder's next step reads it, so it works whichever host takes the request or moves
/// the line. The pause is written to PostgreSQL first (with a version), then Redis (which takes only a newer version): a
/// Redis data loss and the line's rebuild keep it, and two operators racing converge on the last write. Stats are the
/// line's figures, read in one atomic call.
/// </summary>
public static class LineControlEndpoints
{
    public static IEndpointRouteBuilder MapLineControl(this IEndpointRouteBuilder routes)
    {
        var queue = routes.MapGroup("/api/v1/flash-sales/{id:guid}/queue").WithTags("Waiting room").RequireAuthorization(Roles.AdminPolicy);
        queue.MapPost("/pause", (Guid id, HttpContext http, [AsParameters] LineControlServices services, CancellationToken ct) =>
            SetPausedAsync(id, true, http, services, ct));
        queue.MapPost("/resume", (Guid id, HttpContext http, [AsParameters] LineControlServices services, CancellationToken ct) =>
            SetPausedAsync(id, false, http, services, ct));
        queue.MapGet("/stats", StatsAsync);
        return routes;
    }

    /// <summary>
    /// Pauses or resumes: PostgreSQL first, then Redis. A failure of either is answered 503 with Retry-After, and a retry
    /// converges: it writes a newer version to both. (PostgreSQL written and Redis not: the journal holds the operator's
    /// wish, which the retry, or at the latest a rebuild of the sale's state, puts into Redis.)
    /// </summary>
    public static async Task<Results<Ok<LineStatsResponse>, ProblemHttpResult>> SetPausedAsync(Guid id, bool paused, HttpContext http,
        LineControlServices services, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(http);
        if (await FindLineAsync(id, services, cancellationToken) is { } refusal)
        {
            return refusal;
        }
        try
        {
            var version = await services.Journal!.SetPausedAsync(id, paused, cancellationToken);
            await services.Room!.SetPausedAsync(id, paused, version);
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or StackExchange.Redis.RedisException or TimeoutException)
        {
            return Problems.Unavailable(http, 1,
                paused ? "The line could not be paused right now." : "The line could not be resumed right now.",
                "Try again after the Retry-After delay: a retry converges whatever was written before the failure.");
        }
        // Every screen in line hears it with the next queue frame (its "paused" field), not at its next poll.
        services.Signals.Mark(id, SaleSignals.Queue);
        return await StatsAsync(id, services, cancellationToken);
    }

    public static async Task<Results<Ok<LineStatsResponse>, ProblemHttpResult>> StatsAsync(Guid id, [AsParameters] LineControlServices services,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (await FindLineAsync(id, services, cancellationToken) is { } refusal)
        {
            return refusal;
        }
        var stats = await services.Room!.StatsAsync(id);
        if (stats is null)
        {
            // Redis lost the sale (or never saw it): install it from PostgreSQL, as the first join would.
            await services.Authority.EnsureInitializedAsync((await services.Definitions.FindAsync(id, cancellationToken))!, cancellationToken);
            stats = await services.Room.StatsAsync(id);
        }
        if (stats is not { } s)
        {
            return Problems.Of(StatusCodes.Status503ServiceUnavailable, ProblemTypes.ServiceUnavailable, "The line is not available right now.",
                "Try again in a moment.");
        }
        var rate = Math.Max(1, (await services.Catalog.GetAsync(id, cancellationToken))?.RatePerSecond ?? SaleLimits.DefaultAdmissionRatePerSecond);
        var present = Math.Max(0, s.Issued - s.AdmittedThrough - s.AbsentWaiting) + s.Returning;
        var open = (s.NowUnixMs - s.StartsUnixMs) / 1000.0;
        var taken = s.TotalStock - s.RemainingStock;
        return TypedResults.Ok(new LineStatsResponse(s.Issued, s.AdmittedThrough, s.Paused, present, s.AbsentWaiting + s.Skipped, s.Abandoned,
            s.Returning, s.AdmittedTotal, s.LiveAdmissions, s.Buyers, open > 0 ? Math.Round(taken / open, 2) : 0,
            s.AdmittedTotal > 0 ? Math.Round((double)s.Buyers / s.AdmittedTotal, 4) : null, (present + rate - 1) / rate, rate,
            (int)s.RemainingStock));
    }

    /// <summary>Null when the sale exists, uses a waiting room and this host runs with Redis; otherwise the refusal.</summary>
    private static async Task<ProblemHttpResult?> FindLineAsync(Guid id, LineControlServices services, CancellationToken cancellationToken)
    {
        var sale = await services.Definitions.FindAsync(id, cancellationToken);
        if (sale is null)
        {
            return Problems.NotFound("The flash sale");
        }
        if (!sale.WaitingRoom)
        {
            return Problems.Conflict(WaitingRoomProblems.NoWaitingRoom, "This sale has no waiting room.", "There is no line to pause or read.");
        }
        return services.Room is null || services.Journal is null
            ? Problems.Of(StatusCodes.Status501NotImplemented, WaitingRoomProblems.WaitingRoomUnavailable,
                "The waiting room needs Redis; this host runs alone without it.", "Run the host with ConnectionStrings:Redis set.")
            : null;
    }
}
