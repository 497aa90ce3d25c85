using System.Globalization;
using FlashSale.Load.Audit;
using FlashSale.Load.Reports;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Compare;

/// <summary>
/// Puts two runs side by side. Whole-run figures (from each run's histograms) give the change in %; the
/// per-second figures of the time series are the samples that decide whether the change is beyond noise
/// (<see cref="MannWhitney"/>), because one run's single p99 carries no idea of its own spread.
/// </summary>
internal static class RunComparer
{
    /// <summary>Measured seconds a side below which a change is shown but not judged.</summary>
    public const int MinSamples = 5;

    public const double DefaultAlpha = 0.05;

    /// <summary>The figures compared for every step; "rps" is throughput, the rest latencies.</summary>
    public static readonly string[] Metrics = ["p50", "p90", "p99", "max", "rps"];

    /// <summary>Options that differ between runs without changing what is measured.</summary>
    private static readonly HashSet<string> IncidentalOptions = new(StringComparer.Ordinal) { "seed", "sale", "thresholds" };

    public static RunComparison Compare(string nameA, StoredReport a, string nameB, StoredReport b, IReadOnlyList<CompareRule> rules, double alpha = DefaultAlpha)
    {
        var steps = a.StepList.Select(s => s.Name)
            .Concat(b.StepList.Select(s => s.Name))
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Select(name => Step(name, a, b, alpha))
            .ToList();
        var (machine, warnings) = MachineFacts(a, b);
        warnings.AddRange(OptionWarnings(a, b));
        var audit = Audit(a, b);
        var partial = new RunComparison(nameA, nameB, a, b, alpha, machine, warnings, steps, Refusals(a, b), audit, []);
        return partial with { Rules = rules.Select(r => r.Evaluate(partial)).ToList() };
    }

    private static StepComparison Step(string name, StoredReport a, StoredReport b, double alpha)
    {
        var sa = a.Step(name);
        var sb = b.Step(name);
        var metrics = Metrics.Select(m => Metric(name, m, sa, sb, Samples(a, name, m), Samples(b, name, m), alpha)).ToList();
        return new StepComparison(name, (sa ?? sb)!.IsRequest, sa?.Count, sb?.Count, metrics, sa?.Distribution ?? [], sb?.Distribution ?? []);
    }

    private static MetricComparison Metric(string step, string metric, StoredStep? sa, StoredStep? sb, IReadOnlyList<double> samplesA, IReadOnlyList<double> samplesB, double alpha)
    {
        var a = Whole(sa, metric);
        var b = Whole(sb, metric);
        if (a is not { } va || b is not { } vb)
        {
            return new MetricComparison(step, metric, a, b, null, null, samplesA.Count, samplesB.Count, Judgement.NotMeasured);
        }

        double? change = va == 0 ? (vb == 0 ? 0 : null) : Math.Round((vb - va) / va * 100, 2);
        if (samplesA.Count < MinSamples || samplesB.Count < MinSamples)
        {
            return new MetricComparison(step, metric, va, vb, change, null, samplesA.Count, samplesB.Count, Judgement.TooFewSamples);
        }

        var p = MannWhitney.PValue(samplesA, samplesB);
        var higherIsBetter = metric == "rps";
        var judgement = p >= alpha || vb == va ? Judgement.NoChange
            : (vb > va) == higherIsBetter ? Judgement.Better
            : Judgement.Worse;
        return new MetricComparison(step, metric, va, vb, change, Math.Round(p, 6), samplesA.Count, samplesB.Count, judgement);
    }

    /// <summary>The whole-run figure: from the step's histogram summary, or its throughput. Null when the run has no such step.</summary>
    private static double? Whole(StoredStep? s, string metric) => s is null || (s.Count == 0 && metric != "rps") ? null : metric switch
    {
        "rps" => s.Rps,
        "p50" => s.Latency?.P50Ms,
        "p90" => s.Latency?.P90Ms,
        "p99" => s.Latency?.P99Ms,
        _ => s.Latency?.MaxMs,
    };

    /// <summary>
    /// One value per measured second. Latencies come from seconds that had answers; throughput from the seconds
    /// between the step's first and last answer, so a flash rush's idle seconds before the sale opens do not
    /// drown the comparison in zeros.
    /// </summary>
    public static IReadOnlyList<double> Samples(StoredReport report, string step, string metric)
    {
        var seconds = report.Seconds(step);
        if (metric == "rps")
        {
            var first = seconds.ToList().FindIndex(p => p.Count > 0);
            var last = seconds.ToList().FindLastIndex(p => p.Count > 0);
            return first < 0 ? [] : seconds.Skip(first).Take(last - first + 1).Select(p => p.Rps).ToList();
        }

        return seconds.Where(p => p.Count > 0).Select(p => metric switch
        {
            "p50" => p.P50Ms,
            "p90" => p.P90Ms,
            "p99" => p.P99Ms,
            _ => p.MaxMs,
        }).ToList();
    }

    private static (List<FactComparison> Facts, List<string> Warnings) MachineFacts(StoredReport a, StoredReport b)
    {
        var ma = a.Machine;
        var mb = b.Machine;
        var warnings = new List<string>();
        string S(object? v) => v is null ? "unknown" : Convert.ToString(v, CultureInfo.InvariantCulture) ?? "unknown";
        FactComparison Fact(string name, string va, string vb, bool warnWhenDifferent)
        {
            var warn = warnWhenDifferent && va != vb && va != "unknown" && vb != "unknown";
            if (warn)
            {
                warnings.Add($"the runs' machines differ in {name}: {va} vs {vb}");
            }

            return new FactComparison(name, va, vb, warn);
        }

        var facts = new List<FactComparison>
        {
            Fact("cores", S(ma?.Cores), S(mb?.Cores), true),
            Fact("OS", S(ma?.Os), S(mb?.Os), true),
            Fact("architecture", S(ma?.Architecture), S(mb?.Architecture), true),
            Fact(".NET", S(ma?.DotNet), S(mb?.DotNet), true),
            Fact("host", S(ma?.HostName), S(mb?.HostName), true),
            Fact("git commit", S(ma?.GitCommit), S(mb?.GitCommit), false),
        };

        var la = ma?.LoadAverage is { Count: > 0 } l1 ? l1[0] : (double?)null;
        var lb = mb?.LoadAverage is { Count: > 0 } l2 ? l2[0] : (double?)null;
        var cores = Math.Max(1, Math.Max(ma?.Cores ?? 1, mb?.Cores ?? 1));
        var busy = new List<string>();
        if (la > cores * 0.5)
        {
            busy.Add("A");
        }

        if (lb > cores * 0.5)
        {
            busy.Add("B");
        }

        var loadWarn = busy.Count > 0 || (la is { } x && lb is { } y && Math.Abs(x - y) > cores * 0.25);
        facts.Add(new FactComparison("load average at start", Fmt.LoadAverage(ma?.LoadAverage), Fmt.LoadAverage(mb?.LoadAverage), loadWarn));
        if (busy.Count > 0)
        {
            warnings.Add($"run {string.Join(" and ", busy)} started on a busy machine (1-minute load above half the {cores} cores): figures include other work");
        }
        else if (loadWarn)
        {
            warnings.Add($"the runs started at different machine load ({Fmt.Num(la!.Value)} vs {Fmt.Num(lb!.Value)})");
        }

        return (facts, warnings);
    }

    private static IEnumerable<string> OptionWarnings(StoredReport a, StoredReport b)
    {
        if (!string.Equals(a.Run?.Scenario, b.Run?.Scenario, StringComparison.Ordinal))
        {
            yield return $"different scenarios: {a.Run?.Scenario ?? "unknown"} vs {b.Run?.Scenario ?? "unknown"}";
        }

        var oa = a.Options ?? new Dictionary<string, string>();
        var ob = b.Options ?? new Dictionary<string, string>();
        var differing = oa.Keys.Union(ob.Keys)
            .Where(k => !IncidentalOptions.Contains(k))
            .Where(k => !string.Equals(oa.GetValueOrDefault(k), ob.GetValueOrDefault(k), StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal)
            .Select(k => $"{k} {oa.GetValueOrDefault(k) ?? "(unset)"} vs {ob.GetValueOrDefault(k) ?? "(unset)"}")
            .ToList();
        if (differing.Count > 0)
        {
            yield return "the runs used different options: " + string.Join("; ", differing);
        }
    }

    private static List<RefusalComparison> Refusals(StoredReport a, StoredReport b)
    {
        static IEnumerable<(string Step, string Outcome, long Count)> Of(StoredReport r) =>
            r.StepList.SelectMany(s => (s.Outcomes ?? []).Where(o => o.Kind != OutcomeKind.Ok).Select(o => (s.Name, o.Name, o.Count)));

        var ca = Of(a).ToDictionary(x => (x.Step, x.Outcome), x => x.Count);
        var cb = Of(b).ToDictionary(x => (x.Step, x.Outcome), x => x.Count);
        return ca.Keys.Union(cb.Keys)
            .Select(k => new RefusalComparison(k.Step, k.Outcome, ca.GetValueOrDefault(k), cb.GetValueOrDefault(k)))
            .ToList();
    }

    private static AuditComparison Audit(StoredReport a, StoredReport b)
    {
        var checksA = a.Audit?.Checks ?? [];
        var checksB = b.Audit?.Checks ?? [];
        var checks = checksA.Select(c => c.Name).Concat(checksB.Select(c => c.Name)).Distinct(StringComparer.Ordinal)
            .Select(name =>
            {
                var ca = checksA.FirstOrDefault(c => c.Name == name);
                var cb = checksB.FirstOrDefault(c => c.Name == name);
                return new CheckComparison(name, ca?.Status, cb?.Status, ca?.Detail, cb?.Detail);
            })
            .ToList();

        var fa = a.Audit?.Figures;
        var fb = b.Audit?.Figures;
        var figures = new List<FigureComparison>
        {
            new("units sold", fa?.UnitsSold, fb?.UnitsSold, false),
            new("orders", fa?.Orders, fb?.Orders, false),
            new("oversold units", fa?.OversoldUnits, fb?.OversoldUnits, true),
            new("duplicate order ids", fa?.DuplicateOrderIds, fb?.DuplicateOrderIds, true),
            new("shoppers over the limit", fa?.LimitBreaches, fb?.LimitBreaches, true),
            new("confirmed orders missing", fa?.MissingOrders, fb?.MissingOrders, true),
            new("line inversions", fa?.LineInversions, fb?.LineInversions, true),
        };

        var changes = new List<string>();
        if ((a.Audit is null) != (b.Audit is null))
        {
            changes.Add($"only run {(a.Audit is null ? "B" : "A")} was audited");
        }

        changes.AddRange(checks.Where(c => c.Changed && c.A is not null && c.B is not null)
            .Select(c => $"{c.Name}: {Status(c.A)} → {Status(c.B)}"));
        changes.AddRange(figures.Where(f => f.Correctness && f.Changed).Select(f => $"{f.Name}: {f.A} → {f.B}"));
        return new AuditComparison(a.Audit?.Passed, b.Audit?.Passed, checks, figures, changes);
    }

    public static string Status(CheckStatus? s) => s switch
    {
        CheckStatus.Passed => "pass",
        CheckStatus.Failed => "FAIL",
        CheckStatus.Skipped => "skipped",
        _ => "—",
    };
}
