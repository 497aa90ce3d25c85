namespace FlashSale.Engine.Core;

/// <summary>
/// What the engine must know about a sale to decide purchases. Prices are in cents so the hot path never
/// touches <see cref="decimal"/>. A definition is immutable; a PATCH replaces it in the registry.
/// </summary>
public sealed record SaleDefinition(
    Guid SaleId,
    long UnitPriceCents,
    int TotalStock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PaymentWindowSeconds,
    bool WaitingRoom);
