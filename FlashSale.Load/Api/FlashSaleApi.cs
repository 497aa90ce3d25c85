using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Api;

/// <summary>
/// The host's HTTP API over ONE shared <see cref="HttpClient"/> (one connection pool for every virtual user).
/// Calls never throw for an answer or a transport failure: they return the outcome, so workers record and go on.
/// They only throw <see cref="OperationCanceledException"/> when the run itself is aborted.
/// </summary>
internal sealed class FlashSaleApi(HttpClient http)
{
    private static readonly ApiJsonContext Json = ApiJsonContext.Default;

    public Uri BaseAddress => http.BaseAddress!;

    public Task<ApiResult<string>> GetTextAsync(string path, CancellationToken ct) =>
        SendAsync<string>(HttpMethod.Get, path, null, null, null, null, ct);

    public Task<ApiResult<AuthResponse>> LoginAsync(string email, string password, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/api/v1/auth/login", null, JsonContent.Create(new LoginRequest(email, password), Json.LoginRequest), Json.AuthResponse, null, ct);

    public Task<ApiResult<BulkShoppersResponse>> CreateShoppersAsync(string adminToken, int count, string prefix, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/api/v1/load-testing/shoppers", adminToken, JsonContent.Create(new BulkShoppersRequest(count, prefix), Json.BulkShoppersRequest), Json.BulkShoppersResponse, null, ct);

    public Task<ApiResult<ProductDto>> CreateProductAsync(string adminToken, CreateProductRequest product, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/api/v1/products", adminToken, JsonContent.Create(product, Json.CreateProductRequest), Json.ProductDto, null, ct);

    public Task<ApiResult<SaleDto>> CreateSaleAsync(string adminToken, CreateSaleRequest sale, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/api/v1/flash-sales", adminToken, JsonContent.Create(sale, Json.CreateSaleRequest), Json.SaleDto, null, ct);

    public Task<ApiResult<SaleDto>> UpdateSaleAsync(string adminToken, Guid saleId, UpdateSaleRequest change, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, $"/api/v1/flash-sales/{saleId}", adminToken, JsonContent.Create(change, Json.UpdateSaleRequest), Json.SaleDto, null, ct);

    public Task<ApiResult<SaleDto>> GetSaleAsync(Guid saleId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}", null, null, Json.SaleDto, null, ct);

    /// <summary>The sales list; kept as raw JSON because the envelope (array or paged object) is the host's choice.</summary>
    public Task<ApiResult<JsonElement>> ListSalesAsync(CancellationToken ct) =>
        SendAsync(HttpMethod.Get, "/api/v1/flash-sales", null, null, Json.JsonElement, null, ct);

    public Task<ApiResult<OrderDto>> PurchaseAsync(string token, Guid saleId, int quantity, string idempotencyKey, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/api/v1/orders", token, JsonContent.Create(new PurchaseRequest(saleId, quantity), Json.PurchaseRequest), Json.OrderDto, idempotencyKey, ct);

    public Task<ApiResult<OrderDto>> GetOrderAsync(string token, Guid orderId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/orders/{orderId}", token, null, Json.OrderDto, null, ct);

    public Task<ApiResult<OrderDto>> PayAsync(string token, Guid orderId, string cardNumber, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"/api/v1/orders/{orderId}/pay", token, JsonContent.Create(new PayRequest(cardNumber), Json.PayRequest), Json.OrderDto, null, ct);

    public Task<ApiResult<SaleAuditDto>> GetAuditAsync(string adminToken, Guid saleId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/audit", adminToken, null, Json.SaleAuditDto, null, ct);

    /// <summary>Joins the sale's line; <paramref name="nonce"/> is the proof of work when the sale asks for one.</summary>
    public Task<ApiResult<QueueStatusDto>> JoinQueueAsync(string token, Guid saleId, ulong? nonce, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, $"/api/v1/flash-sales/{saleId}/queue", token,
            nonce is { } n ? JsonContent.Create(new JoinRequest(n), Json.JoinRequest) : null, Json.QueueStatusDto, null, ct);

    public Task<ApiResult<LineStatsDto>> LineStatsAsync(string adminToken, Guid saleId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/queue/stats", adminToken, null, Json.LineStatsDto, null, ct);

    /// <summary>The public draw of a pre-queue sale (409 before the draw).</summary>
    public Task<ApiResult<FairnessDto>> FairnessAsync(Guid saleId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/fairness", null, null, Json.FairnessDto, null, ct);

    public Task<ApiResult<QueueStatusDto>> QueueStatusAsync(string token, Guid saleId, CancellationToken ct) =>
        SendAsync(HttpMethod.Get, $"/api/v1/flash-sales/{saleId}/queue/me", token, null, Json.QueueStatusDto, null, ct);

    private async Task<ApiResult<T>> SendAsync<T>(
        HttpMethod method,
        string path,
        string? token,
        HttpContent? content,
        JsonTypeInfo<T>? responseType,
        string? idempotencyKey,
        CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (idempotencyKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Idempotency-Key", idempotencyKey);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                if (responseType is null)
                {
                    // Only the text endpoints (liveness) come here, and they are asked for as string.
                    return new ApiResult<T>(status, Outcome.Ok, (T)(object)await response.Content.ReadAsStringAsync(ct));
                }

                var value = await response.Content.ReadFromJsonAsync(responseType, ct);
                return value is null
                    ? new ApiResult<T>(status, Outcome.Error("empty-body"), default)
                    : new ApiResult<T>(status, Outcome.Ok, value);
            }

            var problem = await ReadProblemAsync(response, ct);
            var outcome = OutcomeClassifier.FromStatus(status, ProblemSlug.From(problem?.Type));
            return new ApiResult<T>(status, outcome, default, response.Headers.RetryAfter?.Delta, problem?.Detail ?? problem?.Title);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is HttpRequestException or TaskCanceledException or TimeoutException or JsonException)
        {
            return new ApiResult<T>(0, OutcomeClassifier.FromException(ex), default, null, ex.Message);
        }
    }

    private static async Task<ProblemDto?> ReadProblemAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is null || !mediaType.Contains("json", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            return await response.Content.ReadFromJsonAsync(Json.ProblemDto, ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
