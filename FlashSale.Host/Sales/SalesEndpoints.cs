using FlashSale.Engine.Redis;
using FlashSale.Host.Catalog;
using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using FlashSale.Host.Infrastructure.Telemetry;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

namespace FlashSale.Host.Sales;

public static class SalesEndpoints
{
    public static IEndpointRouteBuilder MapSales(this IEndpointRouteBuilder routes)
    {
        var sales = routes.MapGroup("/api/v1/flash-sales").WithTags("Sales");
        sales.MapGet("/", List);
        sales.MapGet("/{id:guid}", Get);
        sales.MapPost("/", Create).RequireAuthorization(Roles.AdminPolicy);
        sales.MapPatch("/{id:guid}", Update).RequireAuthorization(Roles.AdminPolicy);
        sales.MapGet("/{id:guid}/audit", Audit).RequireAuthorization(Roles.AdminPolicy);
        sales.MapGet("/{id:guid}/figures", Figures).RequireAuthorization(Roles.AdminPolicy);
        return routes;
    }

    public static async Task<Results<Ok<SaleResponse[]>, ValidationProblem>> List(
        string? status, SaleStore store, ISaleStockReader stock, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (status is not null && !SaleStatus.IsFilter(status))
        {
            return Problems.Validation("status", "The status filter must be one of upcoming, active, sold_out, ended.");
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var sales = await store.ListAsync(status, now, cancellationToken);
        var answers = new List<SaleResponse>(sales.Count);
        foreach (var sale in sales)
        {
            var response = SaleResponse.From(sale, await stock.RemainingAsync(sale, cancellationToken), now);
            // "active" means buyable now; a running sale with no stock left is "sold_out".
            if (status is null || status == SaleStatus.Ended || status == SaleStatus.Upcoming || response.Status == status)
            {
                answers.Add(response);
            }
        }
        return TypedResults.Ok(answers.ToArray());
    }

    public static async Task<Results<Ok<SaleResponse>, ProblemHttpResult>> Get(
        Guid id, SaleStore store, ISaleStockReader stock, TimeProvider clock, CancellationToken cancellationToken)
    {
        var sale = await store.FindAsync(id, cancellationToken);
        if (sale is null)
        {
            return Problems.NotFound("The flash sale");
        }
        return TypedResults.Ok(SaleResponse.From(sale, await stock.RemainingAsync(sale, cancellationToken), clock.GetUtcNow().UtcDateTime));
    }

    /// <summary>The sale's live figures on this host, read from its meters (the admin page's charts poll it).</summary>
    public static async Task<Results<Ok<SaleFiguresResponse>, ProblemHttpResult>> Figures(Guid id, SaleStore store, SaleFigures figures,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(figures);
        return await store.FindAsync(id, cancellationToken) is null ? Problems.NotFound("The flash sale") : TypedResults.Ok(figures.Read(id));
    }

    public static async Task<Results<Ok<SaleAudit.Report>, ProblemHttpResult>> Audit(Guid id, SaleStore store, SaleAudit audit, CancellationToken cancellationToken)
    {
        var sale = await store.FindAsync(id, cancellationToken);
        return sale is null ? Problems.NotFound("The flash sale") : TypedResults.Ok(await audit.RunAsync(sale, cancellationToken));
    }

    public static async Task<Results<Created<SaleResponse>, ValidationProblem>> Create(
        CreateSaleRequest request, SaleStore store, ProductStore products, ISaleStockReader stock, SaleChanges changes,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var errors = new ValidationErrors();
        errors.Check(request.ProductId is not null && request.ProductId != Guid.Empty, "productId", "The product id is required.");
        errors.Check(Money.IsValid(request.SalePrice), "salePrice", $"A price from 0 to {Money.Max} with at most two decimals is required.");
        errors.Check(request.TotalStock is >= 1 and <= SaleLimits.MaxStock, "totalStock", $"The stock must be 1 to {SaleLimits.MaxStock} units.");
        errors.Check(request.PerUserLimit is >= 1 and <= SaleLimits.MaxPerUserLimit, "perUserLimit", $"The per-user limit must be 1 to {SaleLimits.MaxPerUserLimit} units.");
        errors.Check(request.StartsAt is not null, "startsAt", "The start time is required.");
        errors.Check(request.EndsAt is not null, "endsAt", "The end time is required.");
        if (request.StartsAt is { } starts && request.EndsAt is { } ends)
        {
            errors.Check(ends > starts, "endsAt", "The sale must end after it starts.");
            errors.Check(ends.UtcDateTime > now, "endsAt", "The end time must be in the future.");
        }
        SaleLimits.CheckPaymentWindow(errors, request.PaymentWindowSeconds);
        SaleLimits.CheckAdmission(errors, request.AdmissionRatePerSecond, request.AdmissionWindowSeconds);
        SaleLimits.CheckJoinChallenge(errors, request.JoinChallengeBits);
        SaleLimits.CheckPrequeue(errors, request.PrequeueSeconds, request.WaitingRoom);
        SaleLimits.CheckOrderTotal(errors, request.SalePrice, request.PerUserLimit);
        Product? product = null;
        if (errors.IsValid)
        {
            product = await products.FindAsync(request.ProductId!.Value, cancellationToken);
            errors.Check(product is not null, "productId", "No product has this id.");
            errors.Check(product is null || request.SalePrice <= product.BasePrice, "salePrice", "The sale price cannot exceed the product's base price.");
        }
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }

        // A start time that is now or past opens the sale at once: we record when it really opened.
        var startsAt = request.StartsAt!.Value.UtcDateTime < now ? now : request.StartsAt.Value.UtcDateTime;
        var sale = new Sale(Guid.CreateVersion7(), product!.Id, product.Name, Money.Normalize(request.SalePrice!.Value), product.BasePrice,
            request.TotalStock!.Value, request.PerUserLimit!.Value, startsAt, request.EndsAt!.Value.UtcDateTime,
            request.PaymentWindowSeconds ?? SaleLimits.DefaultPaymentWindowSeconds, request.WaitingRoom ?? false,
            request.AdmissionRatePerSecond ?? SaleLimits.DefaultAdmissionRatePerSecond,
            request.AdmissionWindowSeconds ?? SaleLimits.DefaultAdmissionWindowSeconds, now, now, JoinChallengeBits: request.JoinChallengeBits ?? 0);
        string? seed = null;
        if (request.PrequeueSeconds is > 0 and var prequeue)
        {
            // The draw's seed is fixed now and only its hash is published: nobody, the operator included, can pick it later.
            (seed, var hash) = FairDraw.NewSeed();
            sale = sale with { PrequeueSeconds = prequeue, FairnessSeedHash = hash };
        }
        await store.InsertAsync(sale, cancellationToken, seed);
        await changes.CreatedAsync(sale, cancellationToken);
        return TypedResults.Created($"/api/v1/flash-sales/{sale.Id}", SaleResponse.From(sale, await stock.RemainingAsync(sale, cancellationToken), now));
    }

    public static async Task<Results<Ok<SaleResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, UpdateSaleRequest request, SaleStore store, ISaleStockReader stock, SaleChanges changes,
        TimeProvider clock, HttpContext http, [FromServices] RedisWaitingRoom? room, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(http);
        var now = clock.GetUtcNow().UtcDateTime;
        var sale = await store.FindAsync(id, cancellationToken);
        if (sale is null)
        {
            return Problems.NotFound("The flash sale");
        }
        var errors = new ValidationErrors();
        errors.Check(!request.IsEmpty, "body", "Send at least one of salePrice, endsAt, paymentWindowSeconds, waitingRoom, admissionRatePerSecond, admissionWindowSeconds, joinChallengeBits, prequeueSeconds.");
        errors.Check(request.SalePrice is null || Money.IsValid(request.SalePrice), "salePrice", $"A price from 0 to {Money.Max} with at most two decimals is required.");
        errors.Check(request.SalePrice is null || request.SalePrice <= sale.BasePrice, "salePrice", "The sale price cannot exceed the product's base price.");
        SaleLimits.CheckOrderTotal(errors, request.SalePrice, sale.PerUserLimit);
        if (request.EndsAt is { } ends)
        {
            errors.Check(ends.UtcDateTime > sale.StartsAt, "endsAt", "The sale must end after it starts.");
            errors.Check(ends.UtcDateTime >= now, "endsAt", "The end time cannot be in the past.");
        }
        SaleLimits.CheckPaymentWindow(errors, request.PaymentWindowSeconds);
        SaleLimits.CheckAdmission(errors, request.AdmissionRatePerSecond, request.AdmissionWindowSeconds);
        SaleLimits.CheckJoinChallenge(errors, request.JoinChallengeBits);
        SaleLimits.CheckPrequeue(errors, request.PrequeueSeconds, request.WaitingRoom ?? sale.WaitingRoom);
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        // A pre-queue is fixed once it opened (or the sale started): its entrants joined under it. The same value again is
        // no change (a retry after a 503 is safe).
        var prequeue = request.PrequeueSeconds is { } seconds && seconds != sale.PrequeueSeconds ? seconds : (int?)null;
        if (prequeue is { } next && SaleLimits.PrequeueFixedReason(sale, next, now) is { } reason)
        {
            return PrequeueFixed(reason);
        }
        // The draw's seed is fixed before the pre-queue opens, once: a sale created without a pre-queue gets one now.
        var (seed, seedHash) = prequeue > 0 && sale.FairnessSeedHash is null ? FairDraw.NewSeed() : (null, null);
        // Only while the sale has not ended: the check is part of the update statement, so no end can slip between.
        var updated = await store.UpdateAsync(id, request with
        {
            SalePrice = request.SalePrice is { } price ? Money.Normalize(price) : null,
            PrequeueSeconds = prequeue,
        }, cancellationToken, seed, seedHash);
        if (updated is null)
        {
            return prequeue is not null && await store.FindAsync(id, cancellationToken) is { } still && still.EndsAt > clock.GetUtcNow().UtcDateTime
                ? PrequeueFixed("Shoppers already hold places in its line (tickets or pre-queue entries).")
                : Problems.Conflict(ProblemTypes.SaleNotActive, "The sale has ended and can no longer change.");
        }
        // Also for the same value while it may still change: a retry after a 503 below puts it into Redis.
        if (request.PrequeueSeconds is { } wanted && room is not null && SaleLimits.PrequeueFixedReason(sale, wanted, now) is null)
        {
            // Redis' line follows (joins enter the draw, or take tickets again) unless a shopper got a place in the
            // instant since the update's check: then the setting goes back and the line keeps what it had.
            try
            {
                if (!await room.SetPrequeueAsync(id, wanted > 0))
                {
                    if (await store.RestorePrequeueAsync(id, sale.PrequeueSeconds, cancellationToken) is { } restored)
                    {
                        await changes.UpdatedAsync(restored, cancellationToken);
                    }
                    return PrequeueFixed("A shopper took a place in its line meanwhile.");
                }
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                await changes.UpdatedAsync(updated, cancellationToken);
                return Problems.Unavailable(http, 1, "The pre-queue change is saved but not yet in force.",
                    "Redis did not take it. Send the same change again (safe), or the sale's next rebuild applies it.");
            }
        }
        if (!await changes.UpdatedAsync(updated, cancellationToken))
        {
            // Saved, and every host has it, but the stock authority (Redis) did not take it: hosts would still sell on
            // the old price or end. Never a 200 for that; the resync applies it within seconds.
            return Problems.Unavailable(http, 5, "The change is saved but not yet in force.",
                "The stock authority did not take it; every host applies it again within seconds. Sending the same change again is safe.");
        }
        return TypedResults.Ok(SaleResponse.From(updated, await stock.RemainingAsync(updated, cancellationToken), now));
    }

    private static ProblemHttpResult PrequeueFixed(string reason) =>
        Problems.Conflict(SaleLimits.PrequeueFixed, "The pre-queue can no longer change.", reason);
}
