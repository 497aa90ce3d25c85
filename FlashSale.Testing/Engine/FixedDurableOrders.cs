using FlashSale.Engine.Core;

namespace FlashSale.Testing.Engine;

/// <summary>The durable orders a rebuild reads, fixed up front instead of read from PostgreSQL.</summary>
public sealed class FixedDurableOrders(IReadOnlyList<DurableOrder> orders) : IDurableOrderSource
{
    /// <summary>A store with no orders: a rebuilt sale starts with its full stock.</summary>
    public static readonly FixedDurableOrders None = new([]);

    public Task<DurableSaleSnapshot> BeginRebuildAsync(Guid saleId, CancellationToken cancellationToken) =>
        Task.FromResult(new DurableSaleSnapshot(0, orders));
}
