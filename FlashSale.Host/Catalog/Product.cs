namespace FlashSale.Host.Catalog;

/// <summary>A row of <c>products</c>.</summary>
public sealed record Product(Guid Id, string Name, string Description, decimal BasePrice, string? ImageUrl, DateTime CreatedAt, DateTime UpdatedAt);
