using System.Globalization;
using FlashSale.Load.Api;

namespace FlashSale.Load.Audit;

/// <summary>
/// The audit's judgement, pure so it can be tested on synthetic answers: from the 201s the run received, the
/// orders read back and the admin audit, decide each invariant.
/// </summary>
internal static class AuditRules
{
    private static readonly HashSet<string> Released = new(StringComparer.OrdinalIgnoreCase) { "expired", "cancelled", "canceled" };

    public static IReadOnlyList<AuditCheck> Check(
        IReadOnlyList<PurchaseRecord> records,
        Guid saleId,
        int totalStock,
        int perUserLimit,
        IReadOnlyList<OrderReadBack>? readBack,
        AdminAuditAnswer adminAudit)
    {
        var distinct = records.GroupBy(r => r.OrderId).Select(g => g.First()).ToList();
        var units = distinct.Sum(r => (long)r.Quantity);
        var released = ReleasedOrders(readBack);

        return
        [
            UnitsWithinStock(units, distinct.Count, totalStock),
            UniqueOrderIds(records),
            PerUserLimit(distinct, released, perUserLimit),
            AnswersMatchRequests(records, saleId),
            OrdersExist(records, readBack),
            AdminAudit(adminAudit, saleId, units, totalStock),
        ];
    }

    /// <summary>The audit's findings as counts (see <see cref="AuditFigures"/>).</summary>
    public static AuditFigures Figures(IReadOnlyList<PurchaseRecord> records, int totalStock, int perUserLimit, IReadOnlyList<OrderReadBack>? readBack)
    {
        var distinct = records.GroupBy(r => r.OrderId).Select(g => g.First()).ToList();
        var units = distinct.Sum(r => (long)r.Quantity);
        var released = ReleasedOrders(readBack);
        return new AuditFigures(
            units,
            distinct.Count,
            Math.Max(0, units - totalStock),
            records.GroupBy(r => r.OrderId).Count(g => g.Count() > 1),
            OverLimit(distinct, released, perUserLimit).Count,
            readBack is { Count: > 0 } ? readBack.Count(o => o.Status == 404) : null);
    }

    /// <summary>Bots hammered the purchase from the back of the line: none may have bought before its turn.</summary>
    public static AuditCheck LineOrder(long inversions) =>
        inversions == 0
            ? AuditCheck.Pass("line-order", "no purchase was accepted before the buyer's turn in line")
            : AuditCheck.Fail("line-order", $"{inversions} purchases accepted before the buyer's turn in line");

    private static HashSet<Guid> ReleasedOrders(IReadOnlyList<OrderReadBack>? readBack) =>
        (readBack ?? [])
            .Where(o => o.Order?.Status is { } s && Released.Contains(s))
            .Select(o => o.OrderId)
            .ToHashSet();

    private static List<(Guid Shopper, int Units)> OverLimit(IReadOnlyList<PurchaseRecord> distinct, HashSet<Guid> released, int limit) =>
        distinct.Where(r => !released.Contains(r.OrderId))
            .GroupBy(r => r.ShopperId)
            .Select(g => (Shopper: g.Key, Units: g.Sum(r => r.Quantity)))
            .Where(x => x.Units > limit)
            .OrderByDescending(x => x.Units)
            .ToList();

    private static AuditCheck UnitsWithinStock(long units, int orders, int totalStock) =>
        units <= totalStock
            ? AuditCheck.Pass("units-within-stock", $"{units} units in {orders} orders, stock {totalStock}")
            : AuditCheck.Fail("units-within-stock", $"OVERSOLD: {units} units in {orders} orders, stock {totalStock}");

    private static AuditCheck UniqueOrderIds(IReadOnlyList<PurchaseRecord> records)
    {
        // Every attempt used a fresh Idempotency-Key, so one order id answered twice is a second sale of it.
        var duplicates = records.GroupBy(r => r.OrderId).Where(g => g.Count() > 1).ToList();
        return duplicates.Count == 0
            ? AuditCheck.Pass("unique-order-ids", $"{records.Count} accepted purchases, all distinct orders")
            : AuditCheck.Fail("unique-order-ids", $"{duplicates.Count} order ids answered more than once, e.g. {string.Join(", ", duplicates.Take(3).Select(g => $"{g.Key} ×{g.Count()}"))}");
    }

    private static AuditCheck PerUserLimit(IReadOnlyList<PurchaseRecord> distinct, HashSet<Guid> released, int limit)
    {
        // Units of expired or cancelled orders go back to the shopper's allowance, so they do not count.
        var over = OverLimit(distinct, released, limit);
        var shoppers = distinct.Select(r => r.ShopperId).Distinct().Count();
        return over.Count == 0
            ? AuditCheck.Pass("per-user-limit", $"{shoppers} shoppers bought, none above {limit} units")
            : AuditCheck.Fail("per-user-limit", $"{over.Count} shoppers above the limit of {limit}, e.g. {string.Join(", ", over.Take(3).Select(x => $"{x.Shopper}: {x.Units}"))}");
    }

    private static AuditCheck AnswersMatchRequests(IReadOnlyList<PurchaseRecord> records, Guid saleId)
    {
        var wrong = records.Where(r => r.SaleId != saleId || (r.AnsweredUserId != Guid.Empty && r.AnsweredUserId != r.ShopperId) || r.Quantity <= 0).ToList();
        return wrong.Count == 0
            ? AuditCheck.Pass("answers-match-requests", "every 201 names the sale, the shopper and a positive quantity")
            : AuditCheck.Fail("answers-match-requests", $"{wrong.Count} answers name another sale or shopper, e.g. order {wrong[0].OrderId}");
    }

    private static AuditCheck OrdersExist(IReadOnlyList<PurchaseRecord> records, IReadOnlyList<OrderReadBack>? readBack)
    {
        if (records.Count == 0)
        {
            return AuditCheck.Skip("orders-exist", "no purchase was accepted");
        }

        if (readBack is null || readBack.Count == 0)
        {
            return AuditCheck.Skip("orders-exist", "orders were not read back");
        }

        var expected = records.GroupBy(r => r.OrderId).ToDictionary(g => g.Key, g => g.First());
        var missing = readBack.Where(o => o.Status == 404).Select(o => o.OrderId).ToList();
        var unread = readBack.Where(o => o.Status != 404 && o.Order is null).ToList();
        var mismatched = readBack
            .Where(o => o.Order is { } order && expected.TryGetValue(o.OrderId, out var r)
                && (order.Id != r.OrderId || order.Quantity != r.Quantity || order.FlashSaleId != r.SaleId || order.UserId != r.ShopperId))
            .Select(o => o.OrderId)
            .ToList();
        var scope = readBack.Count == expected.Count ? "all" : string.Create(CultureInfo.InvariantCulture, $"a sample of {readBack.Count}/{expected.Count}");
        if (missing.Count > 0 || mismatched.Count > 0)
        {
            return AuditCheck.Fail("orders-exist", $"read back {scope}: {missing.Count} confirmed orders missing (404), {mismatched.Count} differ from the 201, e.g. {missing.Concat(mismatched).First()}");
        }

        return unread.Count > 0
            ? AuditCheck.Fail("orders-exist", $"read back {scope}: {unread.Count} could not be read (e.g. HTTP {unread[0].Status})")
            : AuditCheck.Pass("orders-exist", $"read back {scope}: every confirmed order exists and matches its 201");
    }

    private static AuditCheck AdminAudit(AdminAuditAnswer answer, Guid saleId, long ourUnits, int totalStock)
    {
        if (answer.Audit is not { } a)
        {
            return AuditCheck.Skip("admin-audit", answer.Why ?? "not available");
        }

        var problems = new List<string>();
        if (!a.Consistent)
        {
            problems.Add("host reports consistent=false");
        }

        if (a.SaleId is { } audited && audited != saleId)
        {
            problems.Add($"the audit is of sale {audited}, not {saleId}");
        }

        if (a.PendingReturns is > 0)
        {
            problems.Add($"{a.PendingReturns} units of expired or cancelled orders not yet returned to stock");
        }

        if (a.TotalStock != totalStock)
        {
            problems.Add($"total stock {a.TotalStock} ≠ sale's {totalStock}");
        }

        if (a.RemainingStock < 0 || a.ReservedUnits + a.PaidUnits > a.TotalStock)
        {
            problems.Add($"sold {a.ReservedUnits + a.PaidUnits} of {a.TotalStock}, remaining {a.RemainingStock}");
        }

        if (a.RemainingStock + a.ReservedUnits + a.PaidUnits != a.TotalStock)
        {
            problems.Add($"remaining {a.RemainingStock} + reserved {a.ReservedUnits} + paid {a.PaidUnits} ≠ stock {a.TotalStock}");
        }

        var accounted = (long)a.ReservedUnits + a.PaidUnits + a.ExpiredUnits + a.CancelledUnits;
        if (ourUnits > accounted)
        {
            problems.Add($"the run was confirmed {ourUnits} units but the host accounts for {accounted}");
        }

        var detail = $"remaining {a.RemainingStock}, reserved {a.ReservedUnits}, paid {a.PaidUnits}, expired {a.ExpiredUnits}, cancelled {a.CancelledUnits} of {a.TotalStock}"
            + (a.PendingReturns is { } pending ? $", pending returns {pending}" : "");
        return problems.Count == 0
            ? AuditCheck.Pass("admin-audit", detail)
            : AuditCheck.Fail("admin-audit", string.Join("; ", problems) + $" ({detail})");
    }
}

/// <summary>The admin audit endpoint's answer, or why there is none (an older host: 404).</summary>
internal sealed record AdminAuditAnswer(SaleAuditDto? Audit, string? Why);
