using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlashSale.Tests.Load;

/// <summary>
/// A tiny in-memory stand-in for the host's contract (login, bulk shoppers, product, sale, purchase, read order,
/// pay, optional audit), enough to drive the load tool end to end without a network. <see cref="Oversell"/>
/// and <see cref="DuplicateOrders"/> plant the bugs the audit must catch.
/// </summary>
internal sealed class FakeFlashSaleHost : HttpMessageHandler
{
    private readonly ConcurrentDictionary<string, Guid> _tokens = new();
    private readonly ConcurrentDictionary<Guid, JsonObject> _orders = new();
    private readonly ConcurrentDictionary<Guid, int> _perUser = new();
    private readonly Lock _lock = new();
    private Guid _saleId;
    private int _stock;
    private int _remaining;
    private int _limit;
    private Guid _lastOrder = Guid.NewGuid();

    public bool Oversell { get; init; }

    public bool DuplicateOrders { get; init; }

    public bool HasAudit { get; init; } = true;

    public int Purchases;

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        var path = request.RequestUri!.AbsolutePath;
        var method = request.Method.Method;
        var body = request.Content is null ? null : JsonNode.Parse(await request.Content.ReadAsStringAsync(ct));
        var user = request.Headers.Authorization?.Parameter is { } token && _tokens.TryGetValue(token, out var id) ? id : (Guid?)null;
        var segments = path.Trim('/').Split('/');

        switch (method, path)
        {
            case ("GET", "/health/live"):
                return StubHandler.Text("ok");
            case ("POST", "/api/v1/auth/login"):
                return Json(new { user = new { id = Issue("admin", out var admin), email = "admin@flashsale.local", displayName = "Admin", role = "admin" }, accessToken = admin, refreshToken = "r", expiresIn = 900 });
            case ("POST", "/api/v1/load-testing/shoppers"):
            {
                var count = body!["count"]!.GetValue<int>();
                var shoppers = Enumerable.Range(0, count).Select(i => new { id = Issue("shopper", out var t), email = $"s{i}@load.test", accessToken = t }).ToList();
                return Json(new { shoppers });
            }

            case ("POST", "/api/v1/products"):
                return Json(new { id = Guid.NewGuid(), name = body!["name"]!.GetValue<string>() }, HttpStatusCode.Created);
            case ("POST", "/api/v1/flash-sales"):
                _saleId = Guid.NewGuid();
                _stock = _remaining = body!["totalStock"]!.GetValue<int>();
                _limit = body["perUserLimit"]!.GetValue<int>();
                return Json(Sale(), HttpStatusCode.Created);
            case ("POST", "/api/v1/orders"):
                return Purchase(user!.Value, body!["quantity"]!.GetValue<int>());
        }

        if (method == "GET" && segments is ["api", "v1", "flash-sales", var sale] && Guid.TryParse(sale, out _))
        {
            return Json(Sale());
        }

        if (method == "GET" && segments is ["api", "v1", "flash-sales", _, "audit"])
        {
            return HasAudit
                ? Json(new { totalStock = _stock, remainingStock = _remaining, reservedUnits = _stock - _remaining, paidUnits = 0, expiredUnits = 0, cancelledUnits = 0, consistent = true })
                : new HttpResponseMessage(HttpStatusCode.NotFound);
        }

        if (segments is ["api", "v1", "orders", var orderText, ..] && Guid.TryParse(orderText, out var orderId))
        {
            if (!_orders.TryGetValue(orderId, out var order) || order["userId"]!.GetValue<Guid>() != user)
            {
                return Problem(HttpStatusCode.NotFound, "not-found");
            }

            if (method == "POST" && segments.Length == 5 && segments[4] == "pay")
            {
                order["status"] = "paid";
            }

            return Json(order);
        }

        return new HttpResponseMessage(HttpStatusCode.NotFound);
    }

    private HttpResponseMessage Purchase(Guid user, int quantity)
    {
        Interlocked.Increment(ref Purchases);
        lock (_lock)
        {
            if (_remaining < quantity && !Oversell)
            {
                return Problem(HttpStatusCode.Conflict, "sold-out");
            }

            var owned = _perUser.GetValueOrDefault(user);
            if (owned + quantity > _limit)
            {
                return Problem(HttpStatusCode.Conflict, "limit-reached");
            }

            _perUser[user] = owned + quantity;
            _remaining -= quantity;
            var id = DuplicateOrders ? _lastOrder : Guid.NewGuid();
            var order = new JsonObject
            {
                ["id"] = id, ["flashSaleId"] = _saleId, ["userId"] = user, ["quantity"] = quantity, ["unitPrice"] = 9.99,
                ["totalPrice"] = 9.99 * quantity, ["status"] = "reserved", ["createdAt"] = DateTimeOffset.UtcNow, ["expiresAt"] = DateTimeOffset.UtcNow.AddMinutes(10),
            };
            _orders[id] = order;
            _lastOrder = id;
            return Json(order, HttpStatusCode.Created);
        }
    }

    private object Sale() => new
    {
        id = _saleId, productId = Guid.NewGuid(), productName = "p", salePrice = 9.99, basePrice = 20, totalStock = _stock,
        remainingStock = Math.Max(0, _remaining), perUserLimit = _limit, startsAt = DateTimeOffset.UtcNow.AddMinutes(-1),
        endsAt = DateTimeOffset.UtcNow.AddHours(1), status = _remaining > 0 ? "active" : "sold_out",
    };

    private Guid Issue(string kind, out string token)
    {
        var id = Guid.NewGuid();
        token = kind + "-" + id.ToString("N");
        _tokens[token] = id;
        return id;
    }

    private static HttpResponseMessage Json(object value, HttpStatusCode status = HttpStatusCode.OK) =>
        new(status) { Content = JsonContent.Create(value, options: new JsonSerializerOptions(JsonSerializerDefaults.Web)) };

    private static HttpResponseMessage Problem(HttpStatusCode status, string slug) =>
        new(status)
        {
            Content = new StringContent($$"""{"type":"https://flashsale.local/problems/{{slug}}","title":"{{slug}}","status":{{(int)status}}}""", Encoding.UTF8, "application/problem+json"),
        };
}
