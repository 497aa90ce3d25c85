namespace FlashSale.Engine.Core;

/// <summary>
/// Durable storage of accepted orders (PostgreSQL). <see cref="CommitAsync"/> returns once every order of the
/// batch is committed; writing an order that is already there is a no-op (the order id is the key), which is
/// what lets the reconciler and a replayed Idempotency-Key write the same order again safely.
/// </summary>
public interface IOrderJournal
{
    ValueTask CommitAsync(ReadOnlyMemory<AcceptedOrder> orders, CancellationToken cancellationToken);
}
