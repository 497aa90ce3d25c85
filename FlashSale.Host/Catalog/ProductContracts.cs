using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Catalog;

public sealed record ProductRequest(string? Name, string? Description, decimal? BasePrice, string? ImageUrl)
{
    public ValidationErrors Validate()
    {
        var errors = new ValidationErrors();
        errors.Check(!string.IsNullOrWhiteSpace(Name) && Name.Trim().Length <= 200, "name", "A name of 1 to 200 characters is required.");
        errors.Check(Description is { Length: <= 4000 }, "description", "A description of at most 4000 characters is required (it may be empty).");
        errors.Check(Money.IsValid(BasePrice), "basePrice", $"A price from 0 to {Money.Max} with at most two decimals is required.");
        errors.Check(ImageUrl is null || IsImageUrl(ImageUrl), "imageUrl", "The image URL must be an absolute http(s) URL or a path starting with '/', at most 2048 characters.");
        return errors;
    }

    private static bool IsImageUrl(string url) =>
        url.Length <= 2048 &&
        ((url.StartsWith('/') && !url.StartsWith("//", StringComparison.Ordinal)) ||
         (Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps || uri.Scheme == Uri.UriSchemeHttp)));
}

public sealed record ProductResponse(Guid Id, string Name, string Description, decimal BasePrice, string? ImageUrl, DateTime CreatedAt, DateTime UpdatedAt)
{
    public static ProductResponse From(Product p) => new(p.Id, p.Name, p.Description, Money.Normalize(p.BasePrice), p.ImageUrl, p.CreatedAt, p.UpdatedAt);
}
