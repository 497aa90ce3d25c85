namespace FlashSale.Host.Sales;

/// <summary>Where the API reads a sale's remaining stock from (the stock authority when there is one).</summary>
public interface ISaleStockReader
{
    ValueTask<int> RemainingAsync(Sale sale, CancellationToken cancellationToken);
}
