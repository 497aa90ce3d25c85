using System.Globalization;
using System.Text.RegularExpressions;

namespace FlashSale.Load.Cli;

/// <summary>Parsers for the option value formats: durations ("500ms", "30s", "2m", "1m30s"), rates ("500/s"), counts.</summary>
internal static partial class ValueParsers
{
    public static TimeSpan Duration(string option, string text)
    {
        var trimmed = text.Trim();
        if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var plainSeconds) && plainSeconds >= 0)
        {
            return TimeSpan.FromSeconds(plainSeconds);
        }

        var matches = DurationPart().Matches(trimmed);
        if (matches.Count == 0 || string.Concat(matches.Select(m => m.Value)) != trimmed)
        {
            throw new UsageException($"--{option}: '{text}' is not a duration (e.g. 500ms, 30s, 2m, 1m30s)");
        }

        var total = TimeSpan.Zero;
        foreach (Match m in matches)
        {
            var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            total += m.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                _ => TimeSpan.FromHours(n),
            };
        }

        return total;
    }

    /// <summary>Arrivals per second: "500", "500/s", "500rps" or "30000/m".</summary>
    public static double Rate(string option, string text)
    {
        var m = RatePattern().Match(text.Trim());
        if (!m.Success)
        {
            throw new UsageException($"--{option}: '{text}' is not a rate (e.g. 500/s)");
        }

        var n = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        var perSecond = m.Groups[2].Value is "/m" or "/min" ? n / 60 : n;
        return perSecond > 0 ? perSecond : throw new UsageException($"--{option} must be above zero");
    }

    public static int Count(string option, string text, int min = 1, int max = int.MaxValue) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= min && n <= max
            ? n
            : throw new UsageException($"--{option}: '{text}' must be a whole number from {min} to {max}");

    public static decimal Money(string option, string text) =>
        decimal.TryParse(text.Trim(), NumberStyles.Number, CultureInfo.InvariantCulture, out var n) && n >= 0
            ? n
            : throw new UsageException($"--{option}: '{text}' is not an amount");

    public static bool OnOff(string option, string text) => text.Trim().ToLowerInvariant() switch
    {
        "on" or "true" or "yes" or "1" => true,
        "off" or "false" or "no" or "0" => false,
        _ => throw new UsageException($"--{option}: '{text}' must be on or off"),
    };

    /// <summary>A share: "20%" or "0.2", from 0 to 1.</summary>
    public static double Fraction(string option, string text)
    {
        var t = text.Trim();
        var percent = t.EndsWith('%');
        return double.TryParse(percent ? t[..^1] : t, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            && (percent ? n / 100 : n) is var f and >= 0 and <= 1
            ? f
            : throw new UsageException($"--{option}: '{text}' is not a share such as 20% or 0.2");
    }

    /// <summary>An absolute http(s) or grpc URL, e.g. http://127.0.0.1:4318.</summary>
    public static Uri Endpoint(string option, string text) =>
        Uri.TryCreate(text.Trim(), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "grpc"
            ? uri
            : throw new UsageException($"--{option}: '{text}' is not an endpoint such as http://127.0.0.1:4318");

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)", RegexOptions.CultureInvariant)]
    private static partial Regex DurationPart();

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)\s*(/s|/sec|rps|/m|/min)?$", RegexOptions.CultureInvariant)]
    private static partial Regex RatePattern();
}
