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
    public const int LineIssued = 12;
    public const int LineThrough = 13;
    public const int LineLength = 14;
    public const int TicketCount = 15;
    public const int AdmittedCount = 16;
    public const int AbsentCount = 17;
    public const int PresentCount = 18;
    public const int LinePre = 19;
    public const int EntrantCount = 20;
    /// <summary>The operator's pause as journaled: "1" or "0", and its version (0: none journaled).</summary>
    public const int LinePaused = 21;
    public const int LinePauseVersion = 22;
    /// <summary>Values before the variable part.</summary>
    public const int Header = 23;

    /// <summary>The arguments that install <paramref name="sale"/> with this state, built under <paramref name="epoch"/>.</summary>
    public static RedisValue[] Build(
        SaleDefinition sale,
        long stock,
        IReadOnlyCollection<KeyValuePair<Guid, long>> users,
        IReadOnlyCollection<KeyValuePair<string, string>> idempotency,
        IReadOnlyCollection<string> returned,
        long epoch,
        LineRestore? line = null)
    {
        line ??= LineRestore.None;
        var args = new RedisValue[Header + (users.Count * 2) + (idempotency.Count * 2) + returned.Count + line.ArgumentCount];
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
        args[LineIssued] = line.Issued;
        args[LineThrough] = line.Through;
        args[LineLength] = line.Line.Length;
        args[TicketCount] = line.Tickets.Count;
        args[AdmittedCount] = line.Admitted.Count;
        args[AbsentCount] = line.Absent.Count;
        args[PresentCount] = line.Present.Count;
        args[LinePre] = line.Pre;
        args[EntrantCount] = line.Entrants.Count;
        args[LinePaused] = line.Paused ? 1 : 0;
        args[LinePauseVersion] = line.PauseVersion;
        line.Line.CopyTo(args, i);
        i += line.Line.Length;
        foreach (var (user, ticket) in line.Tickets)
        {
            args[i++] = user;
            args[i++] = ticket;
        }
        foreach (var (deadline, user) in line.Admitted)
        {
            args[i++] = deadline;
            args[i++] = user;
        }
        foreach (var (ticket, member) in line.Absent)
        {
            args[i++] = ticket;
            args[i++] = member;
        }
        foreach (var user in line.Present)
        {
            args[i++] = user;
        }
        foreach (var user in line.Entrants)
        {
            args[i++] = user;
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

/// <summary>
/// The layouts of <see cref="LuaScripts.ReturnUnits"/>: ARGV is order id (N), user (N), quantity (0-based offsets;
/// the script adds 1); the reply is one code, <see cref="ReturnedNow"/>, <see cref="AlreadyReturned"/> or
/// <see cref="NoState"/>.
/// </summary>
internal readonly struct ReturnUnitsReply
{
    public const int Order = 0;
    public const int User = 1;
    public const int Quantity = 2;
    public const long ReturnedNow = 1;
    public const long AlreadyReturned = 0;
    public const long NoState = -1;

    private readonly long _code;

    public ReturnUnitsReply(RedisResult result) => _code = (long)result;

    /// <summary>The arguments that give back <paramref name="quantity"/> units of <paramref name="orderId"/>.</summary>
    public static RedisValue[] Args(Guid orderId, Guid userId, int quantity)
    {
        var args = new RedisValue[3];
        args[Order] = RedisSaleKeys.Member(orderId);
        args[User] = RedisSaleKeys.Member(userId);
        args[Quantity] = quantity;
        return args;
    }

    /// <summary>Redis holds no state for the sale: nothing was given back.</summary>
    public bool SaleStateMissing => _code == NoState;

    /// <summary>The units went back to the stock by this very call (not by an earlier one).</summary>
    public bool Returned => _code == ReturnedNow;
}

/// <summary>
/// The layouts of <see cref="LuaScripts.RemoveEnded"/>: ARGV is now (unix ms), retention (ms) (0-based offsets; the
/// script adds 1); the reply is one code, <see cref="RemovedNow"/>, <see cref="KeptForNow"/> or <see cref="NoState"/>.
/// </summary>
internal readonly struct RemoveEndedReply
{
    public const int Now = 0;
    public const int Retention = 1;
    public const long RemovedNow = 1;
    public const long KeptForNow = 0;
    public const long NoState = -1;

    private readonly long _code;

    public RemoveEndedReply(RedisResult result) => _code = (long)result;

    public static RedisValue[] Args(long nowUnixMs, long retentionMs)
    {
        var args = new RedisValue[2];
        args[Now] = nowUnixMs;
        args[Retention] = retentionMs;
        return args;
    }

    /// <summary>Kept: not ended for the retention yet, or its stream still holds orders not yet in PostgreSQL.</summary>
    public bool Kept => _code == KeptForNow;

    /// <summary>Every key of the sale was removed by this call.</summary>
    public bool Removed => _code == RemovedNow;

    /// <summary>No meta and an empty stream: removed before, lost, or not installed yet.</summary>
    public bool SaleStateMissing => _code == NoState;
}
