using System.Globalization;
using System.Net;
using System.Text;

namespace FlashSale.Load.Reports;

/// <summary>A named line of (x, y) points.</summary>
internal sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points, bool Dashed = false);

/// <summary>
/// Inline SVG line charts for the HTML report: no script, no CDN, so the page opens anywhere, offline, forever.
/// The percentile axis is logarithmic in 1/(1-p) so the tail (p99, p99.9) gets the room it deserves.
/// </summary>
internal static class SvgChart
{
    private const int Width = 760;
    private const int Height = 280;
    private const int Left = 64;
    private const int Right = 150;
    private const int Top = 16;
    private const int Bottom = 36;

    private static readonly string[] Palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#ca8a04", "#db2777"];

    public static string Lines(string xLabel, string yLabel, IReadOnlyList<ChartSeries> series) =>
        Render(xLabel, yLabel, series, x => x, LinearTicks);

    /// <summary>X values are percentiles (0–100).</summary>
    public static string Percentiles(string yLabel, IReadOnlyList<ChartSeries> series) =>
        Render("percentile", yLabel, series, PercentileAxis, (_, _) => [(0, "0"), (1, "90"), (2, "99"), (3, "99.9"), (4, "99.99"), (5, "max")]);

    private static double PercentileAxis(double p) => p >= 100 ? 5 : Math.Min(4.9, Math.Log10(100 / (100 - p)));

    private static string Render(string xLabel, string yLabel, IReadOnlyList<ChartSeries> series, Func<double, double> xMap, Func<double, double, IReadOnlyList<(double, string)>> xTicks)
    {
        var svg = new StringBuilder();
        void Add(FormattableString s) => svg.Append(s.ToString(CultureInfo.InvariantCulture));
        Add($"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {Width} {Height}\" width=\"100%\" role=\"img\" class=\"chart\">");
        var points = series.SelectMany(s => s.Points).ToList();
        if (points.Count == 0)
        {
            Add($"<text x=\"{Width / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" fill=\"#666\">no data</text></svg>");
            return svg.ToString();
        }

        var xs = points.Select(p => xMap(p.X)).ToList();
        var (x0, x1) = (Math.Min(0, xs.Min()), Math.Max(xs.Max(), xs.Min() + 1));
        var yTop = NiceCeiling(Math.Max(points.Max(p => p.Y), 1e-3));
        double Px(double x) => Left + ((xMap(x) - x0) / (x1 - x0) * (Width - Left - Right));
        double Py(double y) => Height - Bottom - (Math.Max(0, y) / yTop * (Height - Top - Bottom));

        // Axes, grid and ticks.
        foreach (var (value, label) in LinearTicks(0, yTop))
        {
            var y = Py(value);
            Add($"<line x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\" stroke=\"#e5e7eb\"/>");
            Add($"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\" font-size=\"11\" fill=\"#444\">{label}</text>");
        }

        foreach (var (value, label) in xTicks(x0, x1))
        {
            var x = Left + ((value - x0) / (x1 - x0) * (Width - Left - Right));
            Add($"<line x1=\"{x:0.#}\" y1=\"{Height - Bottom}\" x2=\"{x:0.#}\" y2=\"{Height - Bottom + 4}\" stroke=\"#444\"/>");
            Add($"<text x=\"{x:0.#}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#444\">{label}</text>");
        }

        Add($"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#444\"/>");
        Add($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#444\"/>");
        Add($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 4}\" text-anchor=\"middle\" font-size=\"12\">{Esc(xLabel)}</text>");
        Add($"<text transform=\"translate(14 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{Esc(yLabel)}</text>");

        for (var i = 0; i < series.Count; i++)
        {
            var s = series[i];
            var color = Palette[i % Palette.Length];
            var path = string.Join(' ', s.Points.OrderBy(p => p.X).Select(p => string.Create(CultureInfo.InvariantCulture, $"{Px(p.X):0.#},{Py(p.Y):0.#}")));
            Add($"<polyline fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"5 3\"" : "")} points=\"{path}\"><title>{Esc(s.Name)}</title></polyline>");
            var ly = Top + 6 + (i * 16);
            Add($"<line x1=\"{Width - Right + 10}\" y1=\"{ly}\" x2=\"{Width - Right + 28}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"{(s.Dashed ? " stroke-dasharray=\"5 3\"" : "")}/>");
            Add($"<text x=\"{Width - Right + 32}\" y=\"{ly + 4}\" font-size=\"11\">{Esc(s.Name)}</text>");
        }

        svg.Append("</svg>");
        return svg.ToString();
    }

    private static IReadOnlyList<(double, string)> LinearTicks(double from, double to)
    {
        var step = NiceStep((to - from) / 5);
        var ticks = new List<(double, string)>();
        for (var v = Math.Ceiling(from / step) * step; v <= to + (step / 1000); v += step)
        {
            ticks.Add((v, v.ToString("0.###", CultureInfo.InvariantCulture)));
        }

        return ticks;
    }

    private static double NiceStep(double raw)
    {
        if (raw <= 0)
        {
            return 1;
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var f = raw / magnitude;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * magnitude;
    }

    private static double NiceCeiling(double max)
    {
        var step = NiceStep(max / 5);
        return Math.Ceiling(max * 1.05 / step) * step;
    }

    private static string Esc(string text) => WebUtility.HtmlEncode(text);
}
