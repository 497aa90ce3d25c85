using System.Net;
using System.Text.Json;

namespace FlashSale.Tests.Faults;

/// <summary>
/// One purchase request and what came back, as the shopper saw it: status, problem type, Retry-After, the order of a
/// 201, and when it was sent and answered (relative to the storm's start, so a test can place it against a fault).
/// <see cref="Error"/> is set when no answer came at all (timeout, dropped connection).
/// </summary>
public sealed record PurchaseAnswer(
    Guid UserId,
    string Key,
    int Quantity,
    int Host,
    TimeSpan SentAt,
    TimeSpan Elapsed,
    HttpStatusCode? Status,
    string? ProblemSlug,
    string? RetryAfter,
    OrderFigures? Order,
    string? Error)
{
    public TimeSpan AnsweredAt => SentAt + Elapsed;

    public bool IsCreated => Status == HttpStatusCode.Created;

    public bool IsUnavailable => Status == HttpStatusCode.ServiceUnavailable;

    public override string ToString() =>
        $"{(int?)Status} {ProblemSlug}{Error} host {Host} key {Key} sent {SentAt.TotalMilliseconds:F0} ms took {Elapsed.TotalMilliseconds:F0} ms";
}

/// <summary>The figures of an order as a 201 stated them (and as its row must hold them).</summary>
public sealed record OrderFigures(Guid Id, Guid UserId, Guid SaleId, int Quantity, decimal UnitPrice, decimal TotalPrice, DateTime CreatedAt, DateTime ExpiresAt)
{
    public static OrderFigures Parse(JsonElement order) => new(
        order.GetProperty("id").GetGuid(),
        order.GetProperty("userId").GetGuid(),
        order.GetProperty("flashSaleId").GetGuid(),
        order.GetProperty("quantity").GetInt32(),
        order.GetProperty("unitPrice").GetDecimal(),
        order.GetProperty("totalPrice").GetDecimal(),
        order.GetProperty("createdAt").GetDateTime().ToUniversalTime(),
        order.GetProperty("expiresAt").GetDateTime().ToUniversalTime());
}
