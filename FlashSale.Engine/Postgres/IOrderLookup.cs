namespace FlashSale.Engine.Postgres;

/// <summary>
/// Optional companion of an order journal: which orders are already durable. The reconciler uses it to write only
/// the stream entries PostgreSQL lacks, so a pass over orders the engine already committed costs lookups, not
/// rewrites.
/// </summary>
public interface IOrderLookup
{
    Task<HashSet<Guid>> FindExistingAsync(IReadOnlyCollection<Guid> orderIds, CancellationToken cancellationToken);
}
