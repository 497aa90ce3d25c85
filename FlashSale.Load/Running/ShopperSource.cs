using FlashSale.Load.Shoppers;

namespace FlashSale.Load.Running;

/// <summary>Gives a run its shoppers: the prepared file when it still fits, else a fresh batch from the host (saved for next time).</summary>
internal static class ShopperSource
{
    /// <param name="context">The run: its host API, options and log.</param>
    /// <param name="needed">How many shoppers the scenario needs.</param>
    /// <param name="mustLiveUntil">A saved token that expires before this is not usable.</param>
    /// <param name="ct">Stops the fetch.</param>
    /// <param name="useAll">Hand over every usable shopper of the file, not just <paramref name="needed"/> (scenarios whose
    /// users take turns through the shoppers).</param>
    public static async Task<IReadOnlyList<ShopperToken>> GetAsync(ScenarioContext context, int needed, DateTimeOffset mustLiveUntil, CancellationToken ct, bool useAll = false)
    {
        var o = context.Options;
        var file = ShopperStore.TryLoad(o.ShoppersFile);
        var why = ShopperStore.WhyNotUsable(file, o.Target, needed, mustLiveUntil);
        if (why is null)
        {
            var count = useAll ? file!.Shoppers.Count : needed;
            context.Log.WriteLine($"shoppers: {count} from {o.ShoppersFile}");
            return file!.Shoppers.Take(count).ToList();
        }

        context.Log.WriteLine($"shoppers: preparing {needed} ({why})");
        var admin = await context.AdminTokenAsync(ct);
        var prepared = await ShopperPreparer.CreateAsync(context.Api, admin, needed, context.Log, ct);
        if (prepared.ExpiresAt < mustLiveUntil)
        {
            context.Notes.Add($"shopper tokens expire at {prepared.ExpiresAt:HH:mm:ss} UTC, before the run ends: expect 401s late in the run");
        }

        ShopperStore.Save(o.ShoppersFile, prepared);
        return prepared.Shoppers;
    }
}
