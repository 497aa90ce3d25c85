using System.Net.Http.Json;
using System.Text.Json;

namespace FlashSale.Tests.Purchases;

/// <summary>Small helpers for POST /api/v1/orders.</summary>
public static class PurchaseClient
{
    public static async Task<HttpResponseMessage> BuyAsync(this HttpClient client, Guid saleId, int quantity, string? key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
        {
            Content = JsonContent.Create(new { flashSaleId = saleId, quantity }),
        };
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", key);
        }
        return await client.SendAsync(request);
    }

    public static async Task<string> ProblemSlugAsync(this HttpResponseMessage response)
    {
        var type = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString()!;
        return type[(type.LastIndexOf('/') + 1)..];
    }
}
