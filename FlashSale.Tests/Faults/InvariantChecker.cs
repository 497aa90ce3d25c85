using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Dapper;
using StackExchange.Redis;

namespace FlashSale.Tests.Faults;

/// <summary>
/// Asserts, after a storm and its fault, what FlashSale promises whatever failed: every answer is a documented one
/// (never a 500, never a hang), no unit is sold twice, every 201 is a row with the same figures, the same key never
/// got two different orders, the per-user limit held, and once the reconciler has replayed what failed commits left in
/// Redis, rows + remaining = stock and the sale's audit says consistent.
/// </summary>
public sealed class InvariantChecker(FaultRig rig, Guid saleId, int stock, int perUserLimit)
{
    private static readonly string[] Refusals = ["sold-out", "limit-reached", "sale-not-active", "not-admitted"];

    /// <summary>Every assertion below, in order; waits up to <paramref name="settle"/> for the reconciler.</summary>
    public async Task AssertAllAsync(IReadOnlyCollection<PurchaseAnswer> answers, TimeSpan? settle = null)
    {
        // The test's own pool may still hold connections of a PostgreSQL that was restarted since.
        rig.Database.DataSource.Clear();
        AssertEveryAnswerIsDocumented(answers);
        var created = AssertOneOrderPerKey(answers);
        await AssertEveryCreatedIsARowAsync(created);
        await AssertNoOversellAsync(answers);
        await AssertSettledAsync(settle ?? TimeSpan.FromSeconds(20));
    }

    /// <summary>201, a 409/403 refusal, or a 503 with Retry-After; no 500, no dropped request.</summary>
    public static void AssertEveryAnswerIsDocumented(IEnumerable<PurchaseAnswer> answers)
    {
        foreach (var answer in answers)
        {
            Assert.True(answer.Error is null, $"no answer: {answer}");
            switch (answer.Status)
            {
                case HttpStatusCode.Created:
                    break;
                case HttpStatusCode.Conflict or HttpStatusCode.Forbidden:
                    Assert.True(Refusals.Contains(answer.ProblemSlug), $"unexpected refusal: {answer}");
                    break;
                case HttpStatusCode.ServiceUnavailable:
                    Assert.True(answer.ProblemSlug is "service-unavailable" or "overloaded", $"unexpected 503: {answer}");
                    Assert.False(string.IsNullOrEmpty(answer.RetryAfter), $"503 without Retry-After: {answer}");
                    break;
                default:
                    Assert.Fail($"unexpected answer: {answer}");
                    break;
            }
        }
    }

    /// <summary>The same (shopper, key) always got the same order; different keys never shared one. Returns one 201 per order.</summary>
    public static List<OrderFigures> AssertOneOrderPerKey(IEnumerable<PurchaseAnswer> answers)
    {
        var created = answers.Where(a => a.IsCreated).ToList();
        foreach (var key in created.GroupBy(a => (a.UserId, a.Key)))
        {
            Assert.True(key.Select(a => a.Order).Distinct().Count() == 1, $"key {key.Key} got different orders: {string.Join(", ", key.Select(a => a.Order))}");
        }
        foreach (var order in created.GroupBy(a => a.Order!.Id))
        {
            Assert.True(order.Select(a => (a.UserId, a.Key)).Distinct().Count() == 1, $"order {order.Key} was answered to several keys");
            Assert.All(order, a => Assert.Equal(a.UserId, a.Order!.UserId));
        }
        return [.. created.Select(a => a.Order!).Distinct()];
    }

    /// <summary>A 201 means committed: its row exists with the very figures the shopper was told.</summary>
    public async Task AssertEveryCreatedIsARowAsync(IReadOnlyCollection<OrderFigures> created)
    {
        await using var connection = await rig.Database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<OrderFigures>(
            """
            select id, user_id as UserId, flash_sale_id as SaleId, quantity, unit_price as UnitPrice, total_price as TotalPrice,
                   created_at as CreatedAt, expires_at as ExpiresAt
            from orders where id = any(@ids)
            """, new { ids = created.Select(c => c.Id).ToArray() })).ToDictionary(r => r.Id);
        foreach (var order in created)
        {
            Assert.True(rows.TryGetValue(order.Id, out var row), $"a 201 without a row: {order}");
            Assert.Equal(order with { CreatedAt = default, ExpiresAt = default }, row with { CreatedAt = default, ExpiresAt = default });
            Assert.Equal(order.CreatedAt, row.CreatedAt.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
            Assert.Equal(order.ExpiresAt, row.ExpiresAt.ToUniversalTime(), TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>
    /// Waits until the sale's Redis stream is empty (every order Redis accepted is in PostgreSQL), then: rows holding
    /// units + Redis' remaining stock = stock, and the audit endpoint says consistent.
    /// </summary>
    public async Task AssertSettledAsync(TimeSpan within)
    {
        var redis = rig.RedisDirect.GetDatabase();
        var tag = $"{{sale:{saleId}}}";
        var deadline = DateTime.UtcNow + within;
        long streamLength;
        int held, remaining;
        do
        {
            streamLength = await redis.StreamLengthAsync(tag + ":orders");
            held = await HeldUnitsAsync();
            var stored = await redis.StringGetAsync(tag + ":stock");
            remaining = stored.IsNull ? -1 : (int)stored;
            if (streamLength == 0 && held + remaining == stock)
            {
                break;
            }
            await Task.Delay(200);
        }
        while (DateTime.UtcNow < deadline);
        Assert.True(streamLength == 0, $"{streamLength} orders still only in the Redis stream after {within}");
        Assert.True(held + remaining == stock, $"rows hold {held} units, Redis has {remaining} left: {held + remaining} != stock {stock}");

        using var admin = await rig.First.AdminAsync();
        var audit = await admin.GetFromJsonAsync<JsonElement>($"/api/v1/flash-sales/{saleId}/audit");
        Assert.True(audit.GetProperty("consistent").GetBoolean(), $"audit: {audit}");
    }

    /// <summary>Units held never exceed the stock nor, per shopper, the limit; every row is an order some shopper asked for.</summary>
    public async Task AssertNoOversellAsync(IReadOnlyCollection<PurchaseAnswer> answers)
    {
        await using var connection = await rig.Database.DataSource.OpenConnectionAsync();
        var rows = (await connection.QueryAsync<(Guid UserId, string Key, int Quantity)>(
            "select user_id, idempotency_key, quantity from orders where flash_sale_id = @saleId and status in ('reserved', 'paid')",
            new { saleId })).ToList();
        Assert.InRange(rows.Sum(r => r.Quantity), 0, stock);
        foreach (var user in rows.GroupBy(r => r.UserId))
        {
            Assert.True(user.Sum(r => r.Quantity) <= perUserLimit, $"shopper {user.Key} holds {user.Sum(r => r.Quantity)} units, limit {perUserLimit}");
        }
        var asked = answers.Select(a => (a.UserId, a.Key)).ToHashSet();
        Assert.All(rows, r => Assert.Contains((r.UserId, r.Key), asked));
    }

    private async Task<int> HeldUnitsAsync()
    {
        await using var connection = await rig.Database.DataSource.OpenConnectionAsync();
        return await connection.ExecuteScalarAsync<int>(
            "select coalesce(sum(quantity), 0)::int from orders where flash_sale_id = @saleId and status in ('reserved', 'paid')", new { saleId });
    }
}
