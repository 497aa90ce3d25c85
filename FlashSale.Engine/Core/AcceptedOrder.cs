namespace FlashSale.Engine.Core;

/// <summary>An order the stock authority accepted, as it is written to PostgreSQL.</summary>
public readonly record struct AcceptedOrder(
    Guid OrderId,
    Guid SaleId,
    Guid UserId,
    int Quantity,
    long UnitPriceCents,
    string IdempotencyKey,
    long CreatedAtUnixMs,
    long ExpiresAtUnixMs);
