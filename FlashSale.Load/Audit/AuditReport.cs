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

/// <summary>The audit of a purchase run: it passes when no check failed (skipped checks are listed, not failed).</summary>
internal sealed record AuditReport(bool Passed, IReadOnlyList<AuditCheck> Checks)
{
    public static AuditReport From(IReadOnlyList<AuditCheck> checks) => new(checks.All(c => c.Status != CheckStatus.Failed), checks);
}

/// <summary>An order read back from the host with its owner's token: the HTTP status and, on 200, the order.</summary>
internal sealed record OrderReadBack(Guid OrderId, int Status, Api.OrderDto? Order);
