namespace FlashSale.Host.Sales;

/// <summary>The status strings of the API, derived from the clock and the remaining stock.</summary>
public static class SaleStatus
{
    public const string Upcoming = "upcoming";
    public const string Active = "active";
    public const string SoldOut = "sold_out";
    public const string Ended = "ended";

    public static string Of(DateTime startsAt, DateTime endsAt, int remainingStock, DateTime now) =>
        now >= endsAt ? Ended
        : now < startsAt ? Upcoming
        : remainingStock <= 0 ? SoldOut
        : Active;

    /// <summary>Statuses a client may filter the list by.</summary>
    public static bool IsFilter(string value) => value is Upcoming or Active or Ended or SoldOut;
}
