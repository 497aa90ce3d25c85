using System.Text.Json;
using System.Text.Json.Serialization;
using FlashSale.Host.Accounts;
using FlashSale.Host.Catalog;
using FlashSale.Host.Health;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.LoadTesting;
using FlashSale.Host.Orders;
using FlashSale.Host.Sales;

namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Source-generated JSON for every request and response type: no reflection on the request path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RegisterRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(RefreshRequest))]
[JsonSerializable(typeof(AuthResponse))]
[JsonSerializable(typeof(UserResponse))]
[JsonSerializable(typeof(ProductRequest))]
[JsonSerializable(typeof(ProductResponse))]
[JsonSerializable(typeof(ProductResponse[]))]
[JsonSerializable(typeof(CreateSaleRequest))]
[JsonSerializable(typeof(UpdateSaleRequest))]
[JsonSerializable(typeof(SaleResponse))]
[JsonSerializable(typeof(SaleResponse[]))]
[JsonSerializable(typeof(HealthEndpoints.HealthResponse))]
[JsonSerializable(typeof(PurchaseBody))]
[JsonSerializable(typeof(OrderResponse))]
[JsonSerializable(typeof(OrdersEndpoints.OrderPage))]
[JsonSerializable(typeof(OrdersEndpoints.PayBody))]
[JsonSerializable(typeof(SaleAudit.Report))]
[JsonSerializable(typeof(SaleFiguresResponse))]
[JsonSerializable(typeof(LoadTestingEndpoints.ShoppersRequest))]
[JsonSerializable(typeof(LoadTestingEndpoints.ShoppersResponse))]
internal sealed partial class FlashSaleJsonContext : JsonSerializerContext;
