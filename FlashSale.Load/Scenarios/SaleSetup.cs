using FlashSale.Load.Api;
using FlashSale.Load.Running;
using FlashSale.Load.Shoppers;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// Gives a purchase scenario its sale: the one named by <c>--sale</c>, or a product and sale of its own created
/// through the admin API, so a run never disturbs sales somebody else is watching.
/// </summary>
internal static class SaleSetup
{
    public static async Task<SaleDto> EnsureAsync(ScenarioContext context, int perUserLimit, bool? waitingRoom, TimeSpan startIn, CancellationToken ct)
    {
        var o = context.Options;
        if (o.SaleId is { } existing)
        {
            var found = await context.Api.GetSaleAsync(existing, ct);
            return found.IsOk && found.Value is not null
                ? found.Value
                : throw new SetupException($"sale {existing} could not be read: {ShopperPreparer.Describe(found.Status, found.Outcome.Name, found.Detail)}");
        }

        var admin = await context.AdminTokenAsync(ct);
        var stamp = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
        var product = await context.Api.CreateProductAsync(
            admin,
            new CreateProductRequest($"Load test {o.Scenario} {stamp}", "Created by FlashSale.Load for a load run.", Math.Max(o.SalePrice * 2, 1m), null),
            ct);
        if (!product.IsOk || product.Value is null)
        {
            throw new SetupException($"creating the product failed: {ShopperPreparer.Describe(product.Status, product.Outcome.Name, product.Detail)}");
        }

        var now = DateTimeOffset.UtcNow;
        var runLength = o.Warmup + o.Ramp + o.Duration + startIn;
        var request = new CreateSaleRequest(
            product.Value.Id,
            o.SalePrice,
            o.Stock,
            perUserLimit,
            now + startIn,
            now + runLength + TimeSpan.FromMinutes(10),
            o.PaymentWindowSeconds,
            // Only send the waiting-room fields when the run wants a line, so an older host sees the body it knows.
            waitingRoom == true ? true : null,
            waitingRoom == true ? o.AdmissionRatePerSecond : null,
            waitingRoom == true ? o.AdmissionWindowSeconds : null,
            waitingRoom == true ? o.ChallengeBits : null,
            waitingRoom == true ? o.PrequeueSeconds : null);
        var sale = await context.Api.CreateSaleAsync(admin, request, ct);
        if (!sale.IsOk || sale.Value is null)
        {
            throw new SetupException($"creating the sale failed: {ShopperPreparer.Describe(sale.Status, sale.Outcome.Name, sale.Detail)}");
        }

        context.Log.WriteLine($"  sale {sale.Value.Id}: stock {sale.Value.TotalStock}, limit {sale.Value.PerUserLimit}/shopper, opens {sale.Value.StartsAt:HH:mm:ss}");
        return sale.Value;
    }
}
