using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Orders;

public sealed record PurchaseBody(Guid? FlashSaleId, int? Quantity);

public sealed record OrderResponse(
    Guid Id,
    Guid FlashSaleId,
    Guid UserId,
    int Quantity,
    decimal UnitPrice,
    decimal TotalPrice,
    string Status,
    DateTime CreatedAt,
    DateTime ExpiresAt)
{
    public static OrderResponse From(Order order)
    {
        ArgumentNullException.ThrowIfNull(order);
        return new OrderResponse(order.Id, order.FlashSaleId, order.UserId, order.Quantity, Money.Normalize(order.UnitPrice),
            Money.Normalize(order.TotalPrice), order.Status, order.CreatedAt, order.ExpiresAt);
    }

    public static OrderResponse FromDecision(in PurchaseDecision decision, Guid saleId, Guid userId, int paymentWindowSeconds)
    {
        var createdAt = DateTime.UnixEpoch.AddMilliseconds(decision.CreatedAtUnixMs);
        return new OrderResponse(decision.OrderId, saleId, userId, decision.Quantity, Money.FromCents(decision.UnitPriceCents),
            Money.FromCents(decision.UnitPriceCents * decision.Quantity), OrderStatus.Reserved, createdAt, createdAt.AddSeconds(paymentWindowSeconds));
    }
}

public static class OrderStatus
{
    public const string Reserved = "reserved";
    public const string Paid = "paid";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
}
