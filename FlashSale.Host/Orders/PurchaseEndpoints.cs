using System.Security.Claims;
using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Sales;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlashSale.Host.Orders;

public static class PurchaseEndpoints
{
    public static IEndpointRouteBuilder MapPurchases(this IEndpointRouteBuilder routes)
    {
        routes.MapGroup("/api/v1/orders").WithTags("Orders").RequireAuthorization()
            .MapPost("/", Purchase).RequireRateLimiting(RateLimitPolicies.Shopper);
        return routes;
    }

    /// <summary>
    /// Buys units of a sale. The decision is the engine's (one batch, one authority call, one commit); a 201 is
    /// sent only after the order is committed in PostgreSQL. The same user and Idempotency-Key always get the
    /// same answer.
    /// </summary>
    public static async Task<Results<Created<OrderResponse>, ValidationProblem, ProblemHttpResult>> Purchase(
        PurchaseBody body, [FromHeader(Name = IdempotencyKeys.Header)] string? idempotencyKey, ClaimsPrincipal principal,
        SaleDefinitions definitions, SaleEngineRegistry engines, OrderStore orders, HttpContext http, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Check(body.FlashSaleId is { } id && id != Guid.Empty, "flashSaleId", "The flash sale id is required.");
        errors.Check(body.Quantity is >= 1, "quantity", "The quantity must be at least 1.");
        errors.Check(IdempotencyKeys.IsValid(idempotencyKey), IdempotencyKeys.Header,
            $"The {IdempotencyKeys.Header} header is required: 1 to {IdempotencyKeys.MaxLength} printable characters without spaces.");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var sale = await definitions.FindAsync(body.FlashSaleId!.Value, cancellationToken);
        if (sale is null)
        {
            return Problems.NotFound("The flash sale");
        }

        var userId = principal.UserId();
        var request = new PurchaseRequest(sale.SaleId, userId, body.Quantity!.Value, idempotencyKey!, Guid.CreateVersion7());
        // The shopper hanging up does not cancel a decision already queued: the engine answers it either way.
        var decision = await engines.SubmitAsync(sale, request, CancellationToken.None);
        HostMetrics.CountPurchase(sale.SaleId, decision.Status);
        if (decision is { Status: PurchaseStatus.Accepted, Replayed: true }
            && await orders.FindAsync(decision.OrderId, CancellationToken.None) is { } order && order.UserId == userId && order.Status != OrderStatus.Reserved)
        {
            // A retry of a key that already made an order answers the order as it is now (paid, cancelled, expired),
            // not "reserved" as it was when it was made. Replays are rare, so the one read costs nothing that matters;
            // a still reserved order keeps the answer built from the decision, byte for byte the first one.
            return TypedResults.Created($"/api/v1/orders/{order.Id}", OrderResponse.From(order));
        }
        return ToResult(decision, sale, userId, http);
    }

    private static Results<Created<OrderResponse>, ValidationProblem, ProblemHttpResult> ToResult(
        in PurchaseDecision decision, SaleDefinition sale, Guid userId, HttpContext http)
    {
        switch (decision.Status)
        {
            case PurchaseStatus.Accepted:
                var order = OrderResponse.FromDecision(decision, sale.SaleId, userId, sale.PaymentWindowSeconds);
                return TypedResults.Created($"/api/v1/orders/{order.Id}", order);
            case PurchaseStatus.SoldOut:
                return Problems.Conflict(ProblemTypes.SoldOut, "The sale is sold out.", "Not enough units are left for this quantity.");
            case PurchaseStatus.LimitReached:
                return Problems.Conflict(ProblemTypes.LimitReached, "You reached this sale's per-shopper limit.",
                    $"Each shopper may buy at most {sale.PerUserLimit} units of this sale.");
            case PurchaseStatus.SaleNotActive:
                return Problems.Conflict(ProblemTypes.SaleNotActive, "The sale is not open.", "It has not started yet or it has ended.");
            case PurchaseStatus.NotAdmitted:
                return Problems.Of(StatusCodes.Status403Forbidden, ProblemTypes.NotAdmitted, "It is not your turn yet.",
                    "Join the line for this sale and buy once you are admitted.");
            case PurchaseStatus.InvalidQuantity:
                return Problems.Validation("quantity", "The quantity must be at least 1.");
            case PurchaseStatus.Overloaded:
                return Problems.RetryAfter(http, 1, StatusCodes.Status503ServiceUnavailable, ProblemTypes.Overloaded, "Too many shoppers at this moment.",
                    "Nothing was bought. Retry with the same Idempotency-Key after the Retry-After delay.");
            default:
                return Problems.Unavailable(http, 2, "The purchase could not be completed right now.",
                    "Retry with the same Idempotency-Key: you will get the same order if one was made, and never a second one.");
        }
    }
}
