using System.Collections.Concurrent;
using FlashSale.Load.Api;

namespace FlashSale.Load.Audit;

/// <summary>One 201 the run received: the order as answered and the shopper who asked for it.</summary>
internal sealed record PurchaseRecord(Guid OrderId, int ShopperIndex, Guid ShopperId, Guid AnsweredUserId, Guid SaleId, int Quantity);

/// <summary>Every accepted purchase of the run, recorded by the workers, read by the audit afterwards.</summary>
internal sealed class PurchaseLedger
{
    private readonly ConcurrentQueue<PurchaseRecord> _records = new();

    public void Add(int shopperIndex, Guid shopperId, OrderDto order) =>
        _records.Enqueue(new PurchaseRecord(order.Id, shopperIndex, shopperId, order.UserId, order.FlashSaleId, order.Quantity));

    /// <summary>Purchases a worker of a multi-process run was confirmed (shopper indexes already the run's own).</summary>
    public void AddRange(IEnumerable<PurchaseRecord> records)
    {
        foreach (var record in records)
        {
            _records.Enqueue(record);
        }
    }

    public IReadOnlyList<PurchaseRecord> Snapshot() => [.. _records];

    public int Count => _records.Count;
}
