namespace FlashSale.Host.Orders;

/// <summary>A row of <c>orders</c>.</summary>
public sealed record Order(
    Guid Id,
    Guid FlashSaleId,
    Guid UserId,
    int Quantity,
    decimal UnitPrice,
    decimal TotalPrice,
    string Status,
    string IdempotencyKey,
    DateTime CreatedAt,
    DateTime ExpiresAt,
    DateTime UpdatedAt);
