namespace FlashSale.Host.Infrastructure.Problems;

/// <summary>Money rules shared by products and sales: numeric(12,2), never negative, at most two decimals.</summary>
public static class Money
{
    public const decimal Max = 9_999_999_999.99m;

    public static bool IsValid(decimal? amount) =>
        amount is { } value && value >= 0 && value <= Max && decimal.Round(value, 2) == value;

    /// <summary>Always two decimals in JSON (19.9 becomes 19.90).</summary>
    public static decimal Normalize(decimal amount) => decimal.Round(amount, 2) + 0.00m;

    public static long ToCents(decimal amount) => (long)decimal.Round(amount * 100m, 0);

    public static decimal FromCents(long cents) => Normalize(cents / 100m);
}
