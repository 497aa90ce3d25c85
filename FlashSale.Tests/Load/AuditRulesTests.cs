using FlashSale.Load.Api;
using FlashSale.Load.Audit;

namespace FlashSale.Tests.Load;

[Trait("Category", TestCategory.Unit)]
public sealed class AuditRulesTests
{
    private static readonly Guid Sale = Guid.NewGuid();
    private static readonly Guid[] Shoppers = [Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid()];

    [Fact]
    public void Clean_answers_pass_every_check()
    {
        var records = new[] { Bought(0), Bought(0), Bought(1), Bought(2) };

        var checks = Check(records, stock: 10, limit: 2, ReadBack(records), Consistent(10, 6));

        Assert.All(checks, c => Assert.Equal(CheckStatus.Passed, c.Status));
        Assert.True(AuditReport.From(checks).Passed);
    }

    [Fact]
    public void The_same_order_id_answered_twice_fails()
    {
        var first = Bought(0);
        var records = new[] { first, first with { ShopperIndex = 1, ShopperId = Shoppers[1], AnsweredUserId = Shoppers[1] }, Bought(2) };

        var checks = Check(records, stock: 10, limit: 2, ReadBack(records), Consistent(10, 7));

        Assert.Equal(CheckStatus.Failed, Find(checks, "unique-order-ids").Status);
        Assert.False(AuditReport.From(checks).Passed);
    }

    [Fact]
    public void A_shopper_above_the_limit_fails_unless_the_extra_units_were_released()
    {
        var records = new[] { Bought(0), Bought(0), Bought(0) };

        var over = Check(records, stock: 10, limit: 2, ReadBack(records), Consistent(10, 7));
        var released = ReadBack(records).Select((r, i) => i == 0 ? r with { Order = r.Order! with { Status = "expired" } } : r).ToList();
        var afterExpiry = Check(records, stock: 10, limit: 2, released, Consistent(10, 8));

        Assert.Equal(CheckStatus.Failed, Find(over, "per-user-limit").Status);
        Assert.Equal(CheckStatus.Passed, Find(afterExpiry, "per-user-limit").Status);
    }

    [Fact]
    public void More_units_confirmed_than_stock_fails()
    {
        var records = new[] { Bought(0, 2), Bought(1, 2), Bought(2, 2) };

        var checks = Check(records, stock: 5, limit: 2, ReadBack(records), new AdminAuditAnswer(null, "no audit endpoint"));

        var check = Find(checks, "units-within-stock");
        Assert.Equal(CheckStatus.Failed, check.Status);
        Assert.Contains("OVERSOLD", check.Detail, StringComparison.Ordinal);
        Assert.Equal(CheckStatus.Skipped, Find(checks, "admin-audit").Status);
    }

    [Fact]
    public void A_confirmed_order_the_host_cannot_find_fails()
    {
        var records = new[] { Bought(0), Bought(1) };
        var readBack = ReadBack(records).ToList();
        readBack[1] = new OrderReadBack(records[1].OrderId, 404, null);

        Assert.Equal(CheckStatus.Failed, Find(Check(records, 10, 2, readBack, Consistent(10, 2)), "orders-exist").Status);
    }

    [Fact]
    public void An_inconsistent_admin_audit_fails_and_a_missing_one_is_skipped()
    {
        var records = new[] { Bought(0) };
        var inconsistent = new AdminAuditAnswer(new SaleAuditDto(10, 9, 2, 0, 0, 0, Consistent: false), null);

        Assert.Equal(CheckStatus.Failed, Find(Check(records, 10, 2, ReadBack(records), inconsistent), "admin-audit").Status);
        Assert.True(AuditReport.From(Check(records, 10, 2, ReadBack(records), new AdminAuditAnswer(null, "404"))).Passed);
    }

    [Fact]
    public void An_admin_audit_of_another_sale_or_with_pending_returns_fails()
    {
        var records = new[] { Bought(0) };
        var otherSale = new AdminAuditAnswer(new SaleAuditDto(10, 9, 1, 0, 0, 0, Consistent: true, SaleId: Guid.NewGuid(), PendingReturns: 0), null);
        var pending = new AdminAuditAnswer(new SaleAuditDto(10, 9, 1, 0, 2, 0, Consistent: true, SaleId: Sale, PendingReturns: 2), null);
        var good = new AdminAuditAnswer(new SaleAuditDto(10, 9, 1, 0, 2, 0, Consistent: true, SaleId: Sale, PendingReturns: 0), null);

        Assert.Equal(CheckStatus.Failed, Find(Check(records, 10, 2, ReadBack(records), otherSale), "admin-audit").Status);
        Assert.Equal(CheckStatus.Failed, Find(Check(records, 10, 2, ReadBack(records), pending), "admin-audit").Status);
        Assert.Equal(CheckStatus.Passed, Find(Check(records, 10, 2, ReadBack(records), good), "admin-audit").Status);
    }

    private static IReadOnlyList<AuditCheck> Check(IReadOnlyList<PurchaseRecord> records, int stock, int limit, IReadOnlyList<OrderReadBack>? readBack, AdminAuditAnswer admin) =>
        AuditRules.Check(records, Sale, stock, limit, readBack, admin);

    private static AuditCheck Find(IReadOnlyList<AuditCheck> checks, string name) => checks.Single(c => c.Name == name);

    private static PurchaseRecord Bought(int shopper, int quantity = 1) =>
        new(Guid.NewGuid(), shopper, Shoppers[shopper], Shoppers[shopper], Sale, quantity);

    private static AdminAuditAnswer Consistent(int stock, int sold) =>
        new(new SaleAuditDto(stock, stock - sold, sold, 0, 0, 0, Consistent: true), null);

    private static List<OrderReadBack> ReadBack(IEnumerable<PurchaseRecord> records) =>
        records.GroupBy(r => r.OrderId).Select(g => g.First())
            .Select(r => new OrderReadBack(r.OrderId, 200, new OrderDto(r.OrderId, r.SaleId, r.ShopperId, r.Quantity, 9.99m, 9.99m * r.Quantity, "reserved", DateTimeOffset.UtcNow, null)))
            .ToList();
}
