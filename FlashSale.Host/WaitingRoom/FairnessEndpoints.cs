using System.Security.Claims;
using Dapper;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Sales;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Npgsql;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// A pre-queue's published draw: the seed (secret until the draw), its SHA-256 (on the sale since its creation), the
/// number of entrants, the digest of their sorted list, the algorithm in one line, and — for a signed-in entrant — the
/// shopper's own receipt. Enough for anyone to recompute the order (docs/REALTIME.md shows a 10-line script).
/// </summary>
public sealed record FairnessResponse(string Seed, string SeedHash, int Entrants, string ListDigest, DateTime DrawnAt, string Algorithm,
    DrawReceipt? Receipt);

public static class FairnessEndpoints
{
    public static IEndpointRouteBuilder MapFairness(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/flash-sales/{id:guid}").WithTags("Waiting room").MapGet("/fairness", GetAsync);
        return routes;
    }

    /// <summary>Public: 404 unknown sale, 409 without a pre-queue or before the draw; a signed-in entrant also gets its receipt.</summary>
    public static async Task<Results<Ok<FairnessResponse>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, SaleDefinitions definitions,
        WaitingRoomCatalog catalog, NpgsqlDataSource db, [FromServices] PrequeueDraw? draw, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(user);
        if (await definitions.FindAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound("The flash sale");
        }
        if (await catalog.GetAsync(id, cancellationToken) is not { PrequeueSeconds: > 0 })
        {
            return Problems.Conflict(WaitingRoomProblems.NoPrequeue, "This sale has no pre-queue.", "There is no draw to verify: its line is first come, first served.");
        }
        if (draw is null || await draw.FindAsync(id, cancellationToken) is not { } drawn)
        {
            return Problems.Conflict(WaitingRoomProblems.DrawNotDone, "The draw has not happened yet.",
                "It runs at the sale's start; until then only the seed's hash is public (the sale's fairness.seedHash).");
        }
        DrawReceipt? receipt = null;
        if (user.Identity?.IsAuthenticated == true)
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var ticket = await connection.ExecuteScalarAsync<long?>(new CommandDefinition(
                "select min(ticket) from line_tickets where flash_sale_id = @id and user_id = @userId and ticket <= @entrants",
                new { id, userId = user.UserId(), entrants = (long)drawn.Entrants }, cancellationToken: cancellationToken));
            if (ticket is { } t && drawn.IndexOf(t) is { } index)
            {
                receipt = new DrawReceipt(index, t, drawn.Entrants, drawn.ListDigest, $"/api/v1/flash-sales/{id}/fairness");
            }
        }
        return TypedResults.Ok(new FairnessResponse(drawn.Seed, drawn.SeedHash, drawn.Entrants, drawn.ListDigest, drawn.DrawnAt,
            FairDraw.Algorithm, receipt));
    }
}
