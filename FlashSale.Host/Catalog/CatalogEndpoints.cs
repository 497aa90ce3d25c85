using FlashSale.Host.Infrastructure.Problems;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.AspNetCore.Http.HttpResults;

namespace FlashSale.Host.Catalog;

public static class CatalogEndpoints
{
    public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder routes)
    {
        var products = routes.MapGroup("/api/v1/products").WithTags("Catalog");
        products.MapGet("/", List);
        products.MapGet("/{id:guid}", Get);
        products.MapPost("/", Create).RequireAuthorization(Roles.AdminPolicy);
        products.MapPut("/{id:guid}", Update).RequireAuthorization(Roles.AdminPolicy);
        return routes;
    }

    public static async Task<Ok<ProductResponse[]>> List(ProductStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok((await store.ListAsync(cancellationToken)).Select(ProductResponse.From).ToArray());

    public static async Task<Results<Ok<ProductResponse>, ProblemHttpResult>> Get(Guid id, ProductStore store, CancellationToken cancellationToken) =>
        await store.FindAsync(id, cancellationToken) is { } product ? TypedResults.Ok(ProductResponse.From(product)) : Problems.NotFound("The product");

    public static async Task<Results<Created<ProductResponse>, ValidationProblem>> Create(
        ProductRequest request, ProductStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var now = clock.GetUtcNow().UtcDateTime;
        var product = new Product(Guid.CreateVersion7(), request.Name!.Trim(), request.Description!, Money.Normalize(request.BasePrice!.Value), request.ImageUrl, now, now);
        await store.InsertAsync(product, cancellationToken);
        return TypedResults.Created($"/api/v1/products/{product.Id}", ProductResponse.From(product));
    }

    public static async Task<Results<Ok<ProductResponse>, ValidationProblem, ProblemHttpResult>> Update(
        Guid id, ProductRequest request, ProductStore store, TimeProvider clock, CancellationToken cancellationToken)
    {
        var errors = request.Validate();
        if (!errors.IsValid)
        {
            return Problems.Validation(errors.ToDictionary());
        }
        var updated = await store.UpdateAsync(id, request.Name!.Trim(), request.Description!, Money.Normalize(request.BasePrice!.Value), request.ImageUrl,
            clock.GetUtcNow().UtcDateTime, cancellationToken);
        return updated is null ? Problems.NotFound("The product") : TypedResults.Ok(ProductResponse.From(updated));
    }
}
