using FlashSale.Load.Api;
using FlashSale.Load.Running;

namespace FlashSale.Load.Shoppers;

/// <summary>
/// Creates shoppers through the host's admin-only bulk endpoint (enabled by <c>LoadTesting:Enabled=true</c>),
/// which skips hashing 10,000 passwords through the rate-limited sign-in path.
/// </summary>
internal static class ShopperPreparer
{
    /// <summary>Shoppers per call: the host takes up to 10,000, smaller batches give progress and shorter requests.</summary>
    private const int Batch = 2_500;

    public static async Task<ShopperFile> CreateAsync(FlashSaleApi api, string adminToken, int count, TextWriter log, CancellationToken ct)
    {
        var issuedAt = DateTimeOffset.UtcNow;
        var prefix = "load-" + issuedAt.ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..6];
        var shoppers = new List<ShopperToken>(count);
        for (var batch = 0; shoppers.Count < count; batch++)
        {
            var n = Math.Min(Batch, count - shoppers.Count);
            var result = await api.CreateShoppersAsync(adminToken, n, $"{prefix}-{batch}", ct);
            if (!result.IsOk || result.Value is null)
            {
                throw new SetupException(OutcomeClassifier.IsMissingRoute(result.Status)
                    ? "the host has no bulk shopper endpoint (POST /api/v1/load-testing/shoppers): start it with LoadTesting:Enabled=true"
                    : $"creating shoppers failed: {Describe(result.Status, result.Outcome.Name, result.Detail)}");
            }

            shoppers.AddRange(result.Value.Shoppers.Select(s => new ShopperToken(s.Id, s.Email, s.AccessToken)));
            log.WriteLine($"  shoppers: {shoppers.Count}/{count}");
            if (result.Value.Shoppers.Count == 0)
            {
                throw new SetupException("the bulk shopper endpoint returned no shoppers");
            }
        }

        return new ShopperFile(ShopperStore.TargetKey(api.BaseAddress), issuedAt, ShopperStore.ExpiryOf(shoppers, issuedAt), prefix, shoppers);
    }

    public static string Describe(int status, string outcome, string? detail) =>
        status == 0 ? $"{outcome} ({detail})" : $"HTTP {status} {outcome}{(detail is null ? "" : ": " + detail)}";
}
