using FlashSale.Engine.Core;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>Reads one entry of a sale's <c>:orders</c> stream (written by the purchase script).</summary>
internal static class OrderStreamEntry
{
    public static bool TryParse(Guid saleId, StreamEntry entry, out AcceptedOrder order)
    {
        order = default;
        RedisValue o = default, u = default, q = default, p = default, c = default, e = default, k = default;
        foreach (var field in entry.Values)
        {
            switch ((string?)field.Name)
            {
                case "o": o = field.Value; break;
                case "u": u = field.Value; break;
                case "q": q = field.Value; break;
                case "p": p = field.Value; break;
                case "c": c = field.Value; break;
                case "e": e = field.Value; break;
                case "k": k = field.Value; break;
                default: break;
            }
        }
        if (!Guid.TryParseExact((string?)o, "N", out var orderId)
            || !Guid.TryParseExact((string?)u, "N", out var userId)
            || !q.TryParse(out int quantity)
            || !p.TryParse(out long price)
            || !c.TryParse(out long created)
            || !e.TryParse(out long expires)
            || k.IsNull)
        {
            return false;
        }
        order = new AcceptedOrder(orderId, saleId, userId, quantity, price, (string)k!, created, expires);
        return true;
    }
}
