using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlashSale.Load.Api;

/// <summary>Source-generated serialization for everything on the wire: no reflection on the hot path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(BulkShoppersRequest))]
[JsonSerializable(typeof(BulkShoppersResponse))]
[JsonSerializable(typeof(CreateProductRequest))]
[JsonSerializable(typeof(ProductDto))]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(SaleDto))]
[JsonSerializable(typeof(UpdateSaleRequest))]
[JsonSerializable(typeof(PurchaseRequest))]
[JsonSerializable(typeof(OrderDto))]
[JsonSerializable(typeof(PayRequest))]
[JsonSerializable(typeof(SaleAuditDto))]
[JsonSerializable(typeof(QueueStatusDto))]
[JsonSerializable(typeof(FairnessDto))]
[JsonSerializable(typeof(JoinRequest))]
[JsonSerializable(typeof(LineStatsDto))]
[JsonSerializable(typeof(ProblemDto))]
[JsonSerializable(typeof(SubscribeFrame))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
