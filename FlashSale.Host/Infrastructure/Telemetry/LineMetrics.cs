using FlashSale.Engine.Redis;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>Records one admission step of a sale's line on <see cref="HostMetrics"/> (by the host leading its admissions).</summary>
public static class LineMetrics
{
    public static void Record(Guid saleId, in AdmissionStep step)
    {
        if (!HostMetrics.LineLength.Enabled || !step.SaleKnown)
        {
            return;
        }
        var tags = HostMetrics.SaleTag(saleId);
        HostMetrics.LineLength.Record(Math.Max(0, step.Issued - step.AdmittedThrough), tags);
        HostMetrics.LineAdmittedLive.Record(step.LiveAdmissions, tags);
        if (step.AdmittedNow > 0)
        {
            HostMetrics.LineAdmitted.Add(step.AdmittedNow, tags);
        }
    }
}
