namespace FlashSale.Host.Notifications;

/// <summary>The kinds of message, as <c>notification_outbox.kind</c> and the preferences name them (migration 0070).</summary>
public static class NotificationKinds
{
    public const string Reserved = "reserved";
    public const string Paid = "paid";
    public const string Expired = "expired";
    public const string Cancelled = "cancelled";
    public const string SaleOpening = "sale_opening";
    public const string PriceDrop = "price_drop";

    public static IReadOnlyList<string> All { get; } = [Reserved, Paid, Expired, Cancelled, SaleOpening, PriceDrop];

    public static bool IsOrderKind(string kind) => kind is Reserved or Paid or Expired or Cancelled;
}
