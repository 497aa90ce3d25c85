namespace FlashSale.Engine.Core;

/// <summary>
/// The scope an Idempotency-Key is unique in: one shopper's keys never collide with another's. Ordinal string
/// equality (the record struct's default) is what the HTTP layer and the database's unique index use.
/// </summary>
internal readonly record struct UserIdempotencyKey(Guid UserId, string Key);
