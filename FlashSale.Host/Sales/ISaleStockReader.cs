namespace FlashSale.Host.Sales;

/// <summary>Where the API reads a sale's remaining stock from (the stock authority when there is one).</summary>
public interface ISaleStockReader
{
    ValueTask<int> RemainingAsync(Sale sale, CancellationToken cancellationToken);
}

/// <summary>PostgreSQL's view: total stock minus the units of reserved and paid orders.</summary>
public sealed class DatabaseSaleStockReader : ISaleStockReader
{
    public ValueTask<int> RemainingAsync(Sale sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        return ValueTask.FromResult(Math.Max(0, sale.TotalStock - sale.HeldUnits));
    }
}
