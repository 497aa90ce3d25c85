using FlashSale.Engine.Core;

namespace FlashSale.Host.Realtime;

/// <summary>
/// The stock authority as the engine and the order life cycle see it: decides through the real one, then raises
/// the sale's stock signal once per batch that accepted something, and once per return of units, so the live
/// publisher reads the stock at its next tick. Nothing is added per request.
/// </summary>
public sealed class StockChangeNotifier(IStockAuthority inner, SaleSignals signals) : IStockAuthority
{
    /// <summary>The authority that decides.</summary>
    public IStockAuthority Inner { get; } = inner ?? throw new ArgumentNullException(nameof(inner));

    public ValueTask EnsureInitializedAsync(SaleDefinition sale, CancellationToken cancellationToken) =>
        Inner.EnsureInitializedAsync(sale, cancellationToken);

    public async ValueTask DecideAsync(SaleDefinition sale, ReadOnlyMemory<PurchaseRequest> requests, Memory<PurchaseDecision> decisions,
        long nowUnixMs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        await Inner.DecideAsync(sale, requests, decisions, nowUnixMs, cancellationToken).ConfigureAwait(false);
        var span = decisions.Span[..requests.Length];
        foreach (ref readonly var decision in span)
        {
            if (decision.Status == PurchaseStatus.Accepted && !decision.Replayed)
            {
                signals.Mark(sale.SaleId, SaleSignals.Stock);
                return;
            }
        }
    }

    public async ValueTask<bool> ReturnUnitsAsync(Guid saleId, Guid orderId, Guid userId, int quantity, CancellationToken cancellationToken)
    {
        var returned = await Inner.ReturnUnitsAsync(saleId, orderId, userId, quantity, cancellationToken).ConfigureAwait(false);
        if (returned)
        {
            signals.Mark(saleId, SaleSignals.Stock);
        }
        return returned;
    }

    public void OrdersCommitted(Guid saleId, ReadOnlySpan<OrderLogPosition> positions) => Inner.OrdersCommitted(saleId, positions);

    public ValueTask<int?> GetRemainingStockAsync(Guid saleId, CancellationToken cancellationToken) =>
        Inner.GetRemainingStockAsync(saleId, cancellationToken);
}
