using System.Globalization;

namespace FlashSale.Load.Reports;

/// <summary>Invariant-culture number formats shared by every report, so figures read the same everywhere.</summary>
internal static class Fmt
{
    public static string Ms(double ms) => ms.ToString(ms >= 100 ? "0.0" : "0.00", CultureInfo.InvariantCulture);

    public static string Rate(double perSecond) => perSecond.ToString(perSecond >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture);

    public static string Percent(double fraction) => (fraction * 100).ToString("0.###", CultureInfo.InvariantCulture) + "%";

    public static string Num(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"0.52 0.61 0.70" (1, 5, 15 minutes), or "unknown" when the report has none.</summary>
    public static string LoadAverage(IReadOnlyList<double>? l) =>
        l is { Count: > 0 } ? string.Join(' ', l.Select(v => v.ToString("0.00", CultureInfo.InvariantCulture))) : "unknown";

    public static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture);
}
