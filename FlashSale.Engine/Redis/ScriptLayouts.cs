using FlashSale.Engine.Core;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// The argument layout of <see cref="LuaScripts.Decide"/>, owned here once: the script interpolates these offsets and
/// <see cref="RedisStockAuthority"/> writes through them. Offsets are 0-based, as C# indexes; the script adds 1.
/// ARGV: <see cref="PerRequest"/> values per request, in request order.
/// </summary>
internal static class DecideArgs
{
    public const int User = 0;
    public const int Quantity = 1;
    public const int IdempotencyKey = 2;
    public const int Order = 3;
    public const int PerRequest = 4;

    /// <summary>Writes the <paramref name="index"/>-th request's values (ids already encoded as the script compares them).</summary>
    public static void Write(RedisValue[] args, int index, RedisValue user, int quantity, string idempotencyKey, RedisValue order)
    {
        var at = index * PerRequest;
        args[at + User] = user;
        args[at + Quantity] = quantity;
        args[at + IdempotencyKey] = idempotencyKey;
        args[at + Order] = order;
    }
}

/// <summary>
/// The argument layout of <see cref="LuaScripts.Install"/>, owned here once (0-based offsets; the script adds 1):
/// a fixed header, then <see cref="UserCount"/> user/units pairs, <see cref="IdempotencyCount"/> idem field/outcome
/// pairs and <see cref="ReturnedCount"/> returned order ids.
/// </summary>
internal static class InstallArgs
{
    public const int Price = 0;
    public const int Starts = 1;
    public const int Ends = 2;
    public const int Limit = 3;
    public const int Total = 4;
    public const int PaymentWindow = 5;
    public const int WaitingRoom = 6;
    public const int Stock = 7;
    public const int UserCount = 8;
    public const int IdempotencyCount = 9;
    public const int ReturnedCount = 10;
    public const int Epoch = 11;
    /// <summary>Values before the variable part.</summary>
    public const int Header = 12;

    /// <summary>The arguments that install <paramref name="sale"/> with this state, built under <paramref name="epoch"/>.</summary>
    public static RedisValue[] Build(
        SaleDefinition sale,
        long stock,
        IReadOnlyCollection<KeyValuePair<Guid, long>> users,
        IReadOnlyCollection<KeyValuePair<string, string>> idempotency,
        IReadOnlyCollection<string> returned,
        long epoch)
    {
        var args = new RedisValue[Header + (users.Count * 2) + (idempotency.Count * 2) + returned.Count];
        args[Price] = sale.UnitPriceCents;
        args[Starts] = sale.StartsAt.ToUnixTimeMilliseconds();
        args[Ends] = sale.EndsAt.ToUnixTimeMilliseconds();
        args[Limit] = sale.PerUserLimit;
        args[Total] = sale.TotalStock;
        args[PaymentWindow] = sale.PaymentWindowSeconds;
        args[WaitingRoom] = sale.WaitingRoom ? 1 : 0;
        args[Stock] = stock;
        args[UserCount] = users.Count;
        args[IdempotencyCount] = idempotency.Count;
        args[ReturnedCount] = returned.Count;
        args[Epoch] = epoch;
        var i = Header;
        foreach (var (user, units) in users)
        {
            args[i++] = RedisSaleKeys.Member(user);
            args[i++] = units;
        }
        foreach (var (field, outcome) in idempotency)
        {
            args[i++] = field;
            args[i++] = outcome;
        }
        foreach (var order in returned)
        {
            args[i++] = order;
        }
        return args;
    }
}

/// <summary>
/// The layouts of <see cref="LuaScripts.Claim"/>: ARGV is <see cref="PerOrder"/> values per order (idem field, order
/// id); the reply is {<see cref="NoState"/>} or {epoch, one flag per order}, <see cref="Held"/> or <see cref="NotHeld"/>.
/// </summary>
internal readonly struct ClaimReply
{
    public const int Field = 0;
    public const int Order = 1;
    public const int PerOrder = 2;
    public const long NoState = -1;
    public const char Held = '1';
    public const char NotHeld = '0';

    private readonly RedisResult _result;

    public ClaimReply(RedisResult result) => _result = result;

    public bool SaleStateMissing => Epoch == NoState;

    public long Epoch => (long)_result[0];

    /// <summary>One flag per order, <see cref="Held"/> when the live state holds it as this very order.</summary>
    public byte[] Flags => (byte[])_result[1]!;
}
