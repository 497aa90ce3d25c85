namespace FlashSale.Engine.Core;

/// <summary>
/// An order the stock authority accepted, as it is written to PostgreSQL. <see cref="SaleEpoch"/> is the epoch of the
/// authority's state it was decided under: the journal's transaction fails the order when the sale's epoch in
/// PostgreSQL has moved since (a rebuild read the sale without it), so it is never answered 201.
/// </summary>
public readonly record struct AcceptedOrder(
    Guid OrderId,
    Guid SaleId,
    Guid UserId,
    int Quantity,
    long UnitPriceCents,
    string IdempotencyKey,
    long CreatedAtUnixMs,
    long ExpiresAtUnixMs,
    long SaleEpoch = 0);
