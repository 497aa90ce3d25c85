namespace FlashSale.Engine.Core;

/// <summary>
/// One shopper's request to buy <see cref="Quantity"/> units of one sale. The caller mints
/// <see cref="OrderId"/> (UUID v7) up front so the authority can record the order without a round trip back.
/// </summary>
public readonly record struct PurchaseRequest(
    Guid SaleId,
    Guid UserId,
    int Quantity,
    string IdempotencyKey,
    Guid OrderId);
