using System.Security.Claims;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Orders.Payments;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Host.Orders;

/// <summary>Reading, paying and cancelling orders. Someone else's order is a 404, never a 403: ids are not confirmed.</summary>
public static class OrdersEndpoints
{
    public const int MaxPageSize = 100;

    /// <summary>Beyond this the offset is meaningless (and page × size would overflow): 400, not a database error.</summary>
    public const int MaxPage = 100_000;

    public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder routes)
    {
        var orders = routes.MapGroup("/api/v1/orders").WithTags("Orders").RequireAuthorization();
        orders.MapGet("/", List);
        orders.MapGet("/{id:guid}", Get);
        orders.MapPost("/{id:guid}/pay", Pay).RequireCurrentSession().RequireRateLimiting(RateLimitPolicies.Shopper)
            .RequirePaymentGateway().LimitPayAttemptsPerOrder();
        orders.MapPost("/{id:guid}/cancel", Cancel);
        return routes;
    }

    public sealed record OrderPage(OrderResponse[] Items, int Page, int PageSize, long Total);

    public sealed record PayBody(string? CardNumber);

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> Get(Guid id, ClaimsPrincipal principal, OrderStore store, CancellationToken cancellationToken)
    {
        var order = await store.FindAsync(id, cancellationToken);
        return order is not null && (order.UserId == principal.UserId() || principal.IsAdmin())
            ? TypedResults.Ok(OrderResponse.From(order))
            : Problems.NotFound("The order");
    }

    public static async Task<Results<Ok<OrderPage>, ValidationProblem>> List(
        int? page, int? pageSize, ClaimsPrincipal principal, OrderStore store, CancellationToken cancellationToken)
    {
        var errors = new ValidationErrors();
        errors.Check(page is null or (>= 1 and <= MaxPage), "page", $"The page must be 1 to {MaxPage}.");
        errors.Check(pageSize is null or (>= 1 and <= MaxPageSize), "pageSize", $"The page size must be 1 to {MaxPageSize}.");
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var (p, size) = (page ?? 1, pageSize ?? 20);
        var (items, total) = await store.ListForUserAsync(principal.UserId(), p, size, cancellationToken);
        return TypedResults.Ok(new OrderPage(items.Select(OrderResponse.From).ToArray(), p, size, total));
    }

    public static async Task<Results<Ok<OrderResponse>, ValidationProblem, ProblemHttpResult>> Pay(
        Guid id, PayBody body, ClaimsPrincipal principal, OrderLifecycle lifecycle, CancellationToken cancellationToken)
    {
        if (body.CardNumber is not { Length: >= 12 and <= 19 } card || !card.All(char.IsAsciiDigit))
        {
            return Problems.Validation("cardNumber", "The card number must be 12 to 19 digits.");
        }
        var (outcome, order) = await lifecycle.PayAsync(id, principal.UserId(), card, cancellationToken);
        return outcome switch
        {
            OrderLifecycle.PayOutcome.Paid or OrderLifecycle.PayOutcome.AlreadyPaid => TypedResults.Ok(OrderResponse.From(order!)),
            OrderLifecycle.PayOutcome.Declined => Problems.Of(StatusCodes.Status402PaymentRequired, ProblemTypes.PaymentDeclined,
                "The card was declined.", "The order stays reserved until its deadline; try another card."),
            OrderLifecycle.PayOutcome.InsufficientFunds => Problems.Of(StatusCodes.Status402PaymentRequired, ProblemTypes.InsufficientFunds,
                "The card has insufficient funds.", "The order stays reserved until its deadline; try another card."),
            OrderLifecycle.PayOutcome.Expired => Problems.Conflict(ProblemTypes.OrderExpired, "The order expired before it was paid.",
                "Its units went back on sale."),
            OrderLifecycle.PayOutcome.Cancelled => Problems.Conflict(ProblemTypes.OrderCancelled, "The order was cancelled."),
            _ => Problems.NotFound("The order"),
        };
    }

    public static async Task<Results<Ok<OrderResponse>, ProblemHttpResult>> Cancel(
        Guid id, ClaimsPrincipal principal, OrderLifecycle lifecycle, CancellationToken cancellationToken)
    {
        var (outcome, order) = await lifecycle.CancelAsync(id, principal.UserId(), cancellationToken);
        return outcome switch
        {
            OrderLifecycle.CancelOutcome.Cancelled or OrderLifecycle.CancelOutcome.AlreadyCancelled => TypedResults.Ok(OrderResponse.From(order!)),
            OrderLifecycle.CancelOutcome.NotReserved => Problems.Conflict(
                order!.Status == OrderStatus.Paid ? ProblemTypes.Conflict : ProblemTypes.OrderExpired,
                $"The order is {order.Status} and can no longer be cancelled."),
            OrderLifecycle.CancelOutcome.PaymentInProgress => Problems.Conflict(ProblemTypes.Conflict,
                "A payment of this order is in progress.", "Try again in a moment."),
            _ => Problems.NotFound("The order"),
        };
    }
}
