namespace FlashSale.Engine.Core;

/// <summary>
/// What the engine must know about a sale to decide purchases. Prices are in cents so the hot path never
/// touches <see cref="decimal"/>. A definition is immutable; a PATCH replaces it in the registry.
/// <see cref="Version"/> is the sale row's version in PostgreSQL, bumped by every change: whoever holds a definition
/// (an engine, a host's cache, Redis' meta) replaces it only with one that is not older, so changes that arrive out
/// of order (two PATCHes racing, a relay message overtaken by a resync) never roll a sale back.
/// </summary>
public sealed record SaleDefinition(
    Guid SaleId,
    long UnitPriceCents,
    int TotalStock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int PaymentWindowSeconds,
    bool WaitingRoom,
    long Version = 0);
