using FlashSale.Load.Api;
using FlashSale.Load.Running;

namespace FlashSale.Load.Audit;

/// <summary>Gathers what the audit judges: the sale as it is now, the orders read back with their owners' tokens, the admin audit.</summary>
internal static class AuditRunner
{
    private const int ReadConcurrency = 32;

    public static async Task<AuditReport> RunAsync(ScenarioContext context, CancellationToken ct)
    {
        var sale = context.Sale!;
        var fresh = await context.Api.GetSaleAsync(sale.Id, ct);
        if (fresh.IsOk && fresh.Value is not null)
        {
            sale = fresh.Value;
        }

        var records = context.Ledger.Snapshot();
        var readBack = await ReadBackAsync(context, records, ct);
        var admin = await AdminAuditAsync(context, sale.Id, ct);
        var checks = AuditRules.Check(records, sale.Id, sale.TotalStock, sale.PerUserLimit, readBack, admin).ToList();
        if (context.LineInversions is { } inversions)
        {
            checks.Add(AuditRules.LineOrder(inversions));
        }

        return AuditReport.From(
            checks,
            AuditRules.Figures(records, sale.TotalStock, sale.PerUserLimit, readBack) with { LineInversions = context.LineInversions });
    }

    private static async Task<IReadOnlyList<OrderReadBack>> ReadBackAsync(ScenarioContext context, IReadOnlyList<PurchaseRecord> records, CancellationToken ct)
    {
        var distinct = records.GroupBy(r => r.OrderId).Select(g => g.First()).ToList();
        var random = new Random(context.Options.Seed);
        var sample = context.Options.AuditSample is { } n && n < distinct.Count
            ? distinct.OrderBy(_ => random.Next()).Take(n).ToList()
            : distinct;
        var results = new OrderReadBack[sample.Count];
        await Parallel.ForAsync(0, sample.Count, new ParallelOptions { MaxDegreeOfParallelism = ReadConcurrency, CancellationToken = ct }, async (i, token) =>
        {
            var record = sample[i];
            var owner = context.Shoppers[record.ShopperIndex].AccessToken;
            var answer = await context.Api.GetOrderAsync(owner, record.OrderId, token);
            results[i] = new OrderReadBack(record.OrderId, answer.Status, answer.IsOk ? answer.Value : null);
        });
        return results;
    }

    private static async Task<AdminAuditAnswer> AdminAuditAsync(ScenarioContext context, Guid saleId, CancellationToken ct)
    {
        string admin;
        try
        {
            admin = await context.AdminTokenAsync(ct);
        }
        catch (SetupException ex)
        {
            return new AdminAuditAnswer(null, "no admin access: " + ex.Message);
        }

        var answer = await context.Api.GetAuditAsync(admin, saleId, ct);
        return answer.IsOk
            ? new AdminAuditAnswer(answer.Value, null)
            : new AdminAuditAnswer(null, OutcomeClassifier.IsMissingRoute(answer.Status)
                ? "the host has no audit endpoint; client-side checks only"
                : $"audit endpoint answered HTTP {answer.Status} {answer.Outcome.Name}");
    }
}
