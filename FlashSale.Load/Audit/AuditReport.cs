namespace FlashSale.Load.Audit;

internal enum CheckStatus
{
    Passed,
    Failed,
    Skipped,
}

/// <summary>One audit check and what it found.</summary>
internal sealed record AuditCheck(string Name, CheckStatus Status, string Detail)
{
    public static AuditCheck Pass(string name, string detail) => new(name, CheckStatus.Passed, detail);

    public static AuditCheck Fail(string name, string detail) => new(name, CheckStatus.Failed, detail);

    public static AuditCheck Skip(string name, string detail) => new(name, CheckStatus.Skipped, detail);
}

/// <summary>
/// The audit of a purchase run: it passes when no check failed (skipped checks are listed, not failed).
/// <see cref="Figures"/> are the same findings as counts, so two runs can be compared number by number
/// (null in reports written before they were recorded).
/// </summary>
internal sealed record AuditReport(bool Passed, IReadOnlyList<AuditCheck> Checks, AuditFigures? Figures = null)
{
    public static AuditReport From(IReadOnlyList<AuditCheck> checks, AuditFigures? figures = null) =>
        new(checks.All(c => c.Status != CheckStatus.Failed), checks, figures);
}

/// <summary>
/// What the audit counted. Every count but <see cref="UnitsSold"/> and <see cref="Orders"/> is a correctness
/// failure when above zero. <see cref="MissingOrders"/> is null when orders were not read back;
/// <see cref="LineInversions"/> (purchases the host accepted from a shopper the line had not admitted yet) is
/// null unless the scenario watched for them.
/// </summary>
internal sealed record AuditFigures(
    long UnitsSold,
    int Orders,
    long OversoldUnits,
    int DuplicateOrderIds,
    int LimitBreaches,
    int? MissingOrders,
    long? LineInversions = null);

/// <summary>An order read back from the host with its owner's token: the HTTP status and, on 200, the order.</summary>
internal sealed record OrderReadBack(Guid OrderId, int Status, Api.OrderDto? Order);
