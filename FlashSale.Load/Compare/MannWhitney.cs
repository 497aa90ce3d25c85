namespace FlashSale.Load.Compare;

/// <summary>
/// The Mann–Whitney U test (two-sided), on the per-second samples of two runs: does one run's values tend to lie
/// above the other's? Rank-based, so a few wild seconds do not decide it and no normal distribution is assumed —
/// latencies are anything but normal. The p-value uses the normal approximation with tie and continuity
/// corrections, good from about five samples a side, which is why <see cref="RunComparer"/> asks for five.
/// </summary>
internal static class MannWhitney
{
    /// <summary>The two-sided p-value: the chance of a difference at least this large if both samples came from one distribution.</summary>
    public static double PValue(IReadOnlyList<double> a, IReadOnlyList<double> b)
    {
        int n1 = a.Count, n2 = b.Count;
        if (n1 == 0 || n2 == 0)
        {
            return 1;
        }

        var all = a.Select(v => (Value: v, First: true)).Concat(b.Select(v => (Value: v, First: false))).OrderBy(x => x.Value).ToList();
        var n = all.Count;
        double rankSumA = 0, tieTerm = 0;
        for (var i = 0; i < n;)
        {
            var j = i;
            while (j + 1 < n && all[j + 1].Value == all[i].Value)
            {
                j++;
            }

            // Tied values share the mean of the ranks they span (ranks are 1-based).
            var rank = ((i + 1) + (j + 1)) / 2.0;
            for (var k = i; k <= j; k++)
            {
                if (all[k].First)
                {
                    rankSumA += rank;
                }
            }

            double t = j - i + 1;
            tieTerm += (t * t * t) - t;
            i = j + 1;
        }

        var u = rankSumA - (n1 * (n1 + 1) / 2.0);
        var mean = n1 * (double)n2 / 2;
        var variance = n1 * (double)n2 / 12 * ((n + 1) - (tieTerm / (n * (double)(n - 1))));
        if (variance <= 0)
        {
            return 1; // every value the same: nothing tells the runs apart
        }

        var z = Math.Max(0, Math.Abs(u - mean) - 0.5) / Math.Sqrt(variance);
        return Math.Min(1, 2 * UpperTail(z));
    }

    /// <summary>P(Z &gt; z) for a standard normal Z, via erfc (Abramowitz–Stegun 7.1.26, error below 1.5e-7).</summary>
    private static double UpperTail(double z)
    {
        var x = z / Math.Sqrt(2);
        var t = 1 / (1 + (0.3275911 * x));
        var poly = t * (0.254829592 + (t * (-0.284496736 + (t * (1.421413741 + (t * (-1.453152027 + (t * 1.061405429))))))));
        return 0.5 * poly * Math.Exp(-x * x);
    }
}
