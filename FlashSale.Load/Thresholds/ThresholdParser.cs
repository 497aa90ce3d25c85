using System.Globalization;
using System.Text.RegularExpressions;
using FlashSale.Load.Cli;

namespace FlashSale.Load.Thresholds;

/// <summary>
/// Parses rules such as <c>purchase.p99&lt;50ms</c>, <c>errors&lt;0.1%</c>, <c>purchase:ok.p99.9&lt;=0.2s</c>, <c>rps&gt;1000</c>.
/// Metrics: p&lt;n&gt; (any percentile), min, mean, max, rps, count, errors (rate of errors + timeouts),
/// refusals (rate), error-count. Without a step the rule reads every request of the run.
/// </summary>
internal static partial class ThresholdParser
{
    public static Threshold Parse(string text)
    {
        var m = Pattern().Match(text);
        if (!m.Success)
        {
            throw new UsageException($"--threshold '{text}': expected [step[:outcome].]metric<op>value[unit], e.g. purchase.p99<50ms or errors<0.1%");
        }

        var metric = m.Groups["metric"].Value.ToLowerInvariant();
        var op = m.Groups["op"].Value switch
        {
            "<" => Comparison.Less,
            "<=" => Comparison.LessOrEqual,
            ">" => Comparison.Greater,
            ">=" => Comparison.GreaterOrEqual,
            _ => Comparison.Equal,
        };
        var value = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        var unit = m.Groups["unit"].Value.ToLowerInvariant();
        var step = m.Groups["step"].Success ? m.Groups["step"].Value : null;
        var outcome = m.Groups["outcome"].Success ? m.Groups["outcome"].Value : null;

        if (metric.StartsWith('p') && metric != "p" && double.Parse(metric[1..], CultureInfo.InvariantCulture) is < 0 or > 100)
        {
            throw new UsageException($"--threshold '{text}': a percentile is between p0 and p100");
        }

        var normalized = Normalize(text, metric, value, unit);
        return new Threshold(text.Trim(), step, outcome, metric, op, normalized);
    }

    private static double Normalize(string text, string metric, double value, string unit)
    {
        var isLatency = metric is "max" or "min" or "mean" || metric.StartsWith('p');
        var isRate = metric is "errors" or "refusals";
        return (isLatency, isRate, unit) switch
        {
            (true, _, "" or "ms") => value,
            (true, _, "s") => value * 1000,
            (true, _, "us" or "µs") => value / 1000,
            (_, true, "%") => value / 100,
            (_, true, "") => value,
            (false, false, "" or "/s" or "rps") when metric == "rps" => value,
            (false, false, "") => value,
            _ => throw new UsageException($"--threshold '{text}': unit '{unit}' does not fit metric '{metric}'"),
        };
    }

    [GeneratedRegex(
        @"^\s*(?:(?<step>[A-Za-z][A-Za-z0-9_\-]*)(?::(?<outcome>[A-Za-z0-9_\-]+))?\.)?(?<metric>p\d+(?:\.\d+)?|min|mean|max|rps|count|errors|refusals|error-count)\s*(?<op><=|>=|==|<|>|=)\s*(?<value>\d+(?:\.\d+)?)\s*(?<unit>ms|us|µs|s|%|/s|rps)?\s*$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
