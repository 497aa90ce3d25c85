using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// The layout of <see cref="LuaScripts.Decide"/>'s reply, owned in one place: fixed elements first, then one recorded
/// outcome per replayed acceptance, then one stream id per new acceptance (both in request order).
/// </summary>
internal readonly struct DecideReply
{
    public const int Remaining = 0;
    public const int UnitPrice = 1;
    public const int Codes = 2;
    public const int Epoch = 3;
    public const int Now = 4;
    /// <summary>Elements before the variable part.</summary>
    public const int Fixed = 5;

    private readonly RedisResult _result;

    public DecideReply(RedisResult result) => _result = result;

    /// <summary>True when the script found no state for the sale (its reply is then {-1}).</summary>
    public bool SaleStateMissing => (long)_result[Remaining] < 0;

    public long RemainingStock => (long)_result[Remaining];

    public long UnitPriceCents => (long)_result[UnitPrice];

    public byte[] OutcomeCodes => (byte[])_result[Codes]!;

    public long SaleEpoch => (long)_result[Epoch];

    /// <summary>Redis' clock when the script ran (unix ms): the creation time of the batch's new orders.</summary>
    public long NowUnixMs => (long)_result[Now];

    public int Length => _result.Length;

    /// <summary>The recorded outcome of the <paramref name="index"/>-th replayed acceptance.</summary>
    public byte[] Replay(int index) => (byte[])_result[Fixed + index]!;

    /// <summary>The stream id of the <paramref name="index"/>-th new acceptance, after <paramref name="replays"/> replays.</summary>
    public byte[] StreamId(int replays, int index) => (byte[])_result[Fixed + replays + index]!;
}
