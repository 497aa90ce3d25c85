using FlashSale.Engine.Redis;

namespace FlashSale.Host.Infrastructure.Telemetry;

/// <summary>Records a sale's line on <see cref="HostMetrics"/>: its admission steps (by the host leading them) and its live snapshots.</summary>
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

    /// <summary>Records the absent shoppers a live snapshot counted: its last checkpoint is the line's last ticket.</summary>
    public static void Record(Guid saleId, in SaleSnapshot snapshot)
    {
        if (!HostMetrics.LineAbsent.Enabled || !snapshot.WaitingRoom)
        {
            return;
        }
        var absent = snapshot.AbsentAhead is { Length: >= 2 } pairs ? pairs[^1] : 0;
        HostMetrics.LineAbsent.Record(absent, HostMetrics.SaleTag(saleId));
    }
}
