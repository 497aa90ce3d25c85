using System.Text.Json;
using FlashSale.Load.Api;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>What a shopper does before a sale: list the sales, open one of them.</summary>
internal sealed class BrowseScenario : IScenario
{
    private FlashSaleApi? _api;
    private StepStats? _list;
    private StepStats? _read;

    public string Name => "browse";

    public string Description => "list the flash sales (GET /api/v1/flash-sales), then read one of them";

    public int DefaultUsers => 128;

    public bool NeedsShoppers => false;

    public bool OneSessionPerShopper => false;

    public bool IsPurchase => false;

    public string EntryStep => "list-sales";

    public async Task InitAsync(ScenarioContext context, CancellationToken ct)
    {
        _api = context.Api;
        _list = context.Stats.Step(EntryStep);
        _read = context.Stats.Step("read-sale");
        var probe = await _api.ListSalesAsync(ct);
        if (!probe.IsOk)
        {
            throw new SetupException($"listing sales failed: HTTP {probe.Status} {probe.Outcome.Name}");
        }

        if (SaleIds.From(probe.Value).Count == 0)
        {
            context.Notes.Add("the host lists no sales: browse measures the list only");
        }
    }

    public async Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct)
    {
        var start = user.BeginStep();
        var list = await _api!.ListSalesAsync(ct);
        _list!.Record(list.Outcome, start);
        var ids = list.IsOk ? SaleIds.From(list.Value) : [];
        if (ids.Count > 0)
        {
            start = user.BeginStep();
            var sale = await _api.GetSaleAsync(ids[user.Random.Next(ids.Count)], ct);
            _read!.Record(sale.Outcome, start);
        }

        return IterationResult.Continue;
    }

    public Task CleanupAsync(CancellationToken ct) => Task.CompletedTask;
}

/// <summary>Sale ids out of a list answer, whether the host sends a bare array or a paged envelope.</summary>
internal static class SaleIds
{
    private static readonly string[] Envelopes = ["items", "sales", "data", "results", "content"];

    public static IReadOnlyList<Guid> From(JsonElement root)
    {
        var array = root.ValueKind == JsonValueKind.Array ? root : Envelope(root);
        if (array.ValueKind != JsonValueKind.Array)
        {
            return [];
        }

        var ids = new List<Guid>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("id", out var id) && id.TryGetGuid(out var guid))
            {
                ids.Add(guid);
            }
        }

        return ids;
    }

    private static JsonElement Envelope(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        foreach (var name in Envelopes)
        {
            if (root.TryGetProperty(name, out var inner) && inner.ValueKind == JsonValueKind.Array)
            {
                return inner;
            }
        }

        return default;
    }
}
