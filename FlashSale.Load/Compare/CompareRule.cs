using System.Globalization;
using System.Text.RegularExpressions;
using FlashSale.Load.Cli;
using FlashSale.Load.Reports;

namespace FlashSale.Load.Compare;

/// <summary>
/// A <c>--fail-if</c> rule of <c>compare</c>: <c>step.metric &gt; +10%</c> / <c>step.metric &lt; -5%</c> (metric one of
/// p50, p90, p99, max, rps), <c>audit.changed</c> or <c>audit.failed</c>. A change rule fires only when the change
/// passes the limit and is beyond noise, so CI does not fail on a run that was merely unlucky; with too few
/// measured seconds to judge noise it fires on the change alone.
/// </summary>
internal abstract partial record CompareRule(string Text)
{
    public abstract RuleResult Evaluate(RunComparison c);

    public static CompareRule Parse(string text)
    {
        var t = text.Trim();
        if (t.Equals("audit.changed", StringComparison.OrdinalIgnoreCase))
        {
            return new AuditChangedRule(t);
        }

        if (t.Equals("audit.failed", StringComparison.OrdinalIgnoreCase))
        {
            return new AuditFailedRule(t);
        }

        var m = ChangePattern().Match(t);
        if (!m.Success)
        {
            throw new UsageException($"--fail-if '{text}': expected step.metric >|< ±N% (metric p50, p90, p99, max or rps), audit.changed or audit.failed, e.g. \"purchase.p99 > +10%\"");
        }

        var percent = double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture);
        return new ChangeRule(t, m.Groups["step"].Value, m.Groups["metric"].Value.ToLowerInvariant(), m.Groups["op"].Value == ">", percent);
    }

    [GeneratedRegex(@"^(?<step>[A-Za-z][A-Za-z0-9_\-]*)\.(?<metric>p50|p90|p99|max|rps)\s*(?<op>[<>])\s*(?<value>[+\-]?\d+(?:\.\d+)?)\s*%$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex ChangePattern();
}

internal sealed record ChangeRule(string Text, string Step, string Metric, bool Above, double Percent) : CompareRule(Text)
{
    public override RuleResult Evaluate(RunComparison c)
    {
        if (c.Find(Step, Metric) is not { ChangePercent: { } change } m || m.Judgement == Judgement.NotMeasured)
        {
            // A rule about something neither run measured is a typo or a broken run: CI should hear of it.
            return new RuleResult(Text, true, $"{Step}.{Metric} was not measured in both runs");
        }

        var passesLimit = Above ? change > Percent : change < Percent;
        var measured = $"{Step}.{Metric} {Fmt.Num(m.A ?? 0)} → {Fmt.Num(m.B ?? 0)} ({Signed(change)}%)";
        return m.Judgement switch
        {
            _ when !passesLimit => new RuleResult(Text, false, measured),
            Judgement.TooFewSamples => new RuleResult(Text, true, measured + $"; too few measured seconds ({m.SamplesA}/{m.SamplesB}) to judge noise"),
            Judgement.NoChange => new RuleResult(Text, false, measured + $", within noise (p = {Fmt.Num(m.PValue ?? 1)})"),
            _ => new RuleResult(Text, true, measured + $", beyond noise (p = {Fmt.Num(m.PValue ?? 0)})"),
        };
    }

    public static string Signed(double v) => (v > 0 ? "+" : "") + v.ToString("0.##", CultureInfo.InvariantCulture);
}

internal sealed record AuditChangedRule(string Text) : CompareRule(Text)
{
    public override RuleResult Evaluate(RunComparison c) =>
        new(Text, c.Audit.Changed, c.Audit.Changed ? string.Join("; ", c.Audit.Changes) : "the audits agree");
}

internal sealed record AuditFailedRule(string Text) : CompareRule(Text)
{
    public override RuleResult Evaluate(RunComparison c) => c.Audit.PassedB switch
    {
        false => new(Text, true, "run B's audit failed"),
        true => new(Text, false, "run B's audit passed"),
        null => new(Text, true, "run B was not audited"),
    };
}
