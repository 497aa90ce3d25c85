namespace FlashSale.Engine.Core;

/// <summary>
/// What a stock authority remembers per shopper and sale. Acceptances are always remembered (they are bounded by the
/// per-user limit); refusals (sold out, limit reached) only for this many Idempotency-Keys, after which a retried
/// refused key is decided again: a bot cycling fresh keys cannot grow the authority's memory (Redis or in-process)
/// without bound, while a shopper retrying a handful of refused purchases still gets the same answer.
/// </summary>
public static class IdempotencyBounds
{
    public const int MaxRecordedRefusalsPerShopper = 32;
}
