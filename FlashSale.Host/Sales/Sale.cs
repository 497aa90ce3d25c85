namespace FlashSale.Host.Sales;

/// <summary>A row of <c>flash_sales</c> joined with its product, plus the units still free in PostgreSQL's view.</summary>
public sealed record Sale(
    Guid Id,
    Guid ProductId,
    string ProductName,
    decimal SalePrice,
    decimal BasePrice,
    int TotalStock,
    int PerUserLimit,
    DateTime StartsAt,
    DateTime EndsAt,
    int PaymentWindowSeconds,
    bool WaitingRoom,
    int AdmissionRatePerSecond,
    int AdmissionWindowSeconds,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    int HeldUnits)
{
    public bool HasEnded(DateTime now) => now >= EndsAt;
}
