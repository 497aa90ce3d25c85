using FlashSale.Engine.Core;

namespace FlashSale.Engine.Redis;

/// <summary>
/// The purchase script's outcome codes, one byte per request in its reply (and the first byte of what <c>:idem</c>
/// records). Owned here once: <see cref="LuaScripts.Decide"/> interpolates them, <see cref="DecideReply"/> reads them.
/// </summary>
internal static class PurchaseCodes
{
    public const char Accepted = '0';
    public const char SoldOut = '1';
    public const char LimitReached = '2';
    public const char NotActive = '3';
    public const char NotAdmitted = '4';
    public const char InvalidQuantity = '7';
    /// <summary>A key seen before whose first outcome was an acceptance; also the prefix of the recorded outcome.</summary>
    public const char ReplayedAccepted = 'A';
    public const char ReplayedSoldOut = 'S';
    public const char ReplayedLimit = 'L';

    /// <summary>The decision a code stands for, or null for <see cref="Accepted"/> and <see cref="ReplayedAccepted"/> (they carry an order).</summary>
    /// <summary>The refusal a code stands for; throws for the two acceptance codes (they carry an order) and unknown ones.</summary>
    public static PurchaseDecision Refusal(byte code, int remaining) => (char)code switch
    {
        SoldOut => PurchaseDecision.Refused(PurchaseStatus.SoldOut, remaining),
        LimitReached => PurchaseDecision.Refused(PurchaseStatus.LimitReached, remaining),
        NotActive => PurchaseDecision.Refused(PurchaseStatus.SaleNotActive, remaining),
        NotAdmitted => PurchaseDecision.Refused(PurchaseStatus.NotAdmitted, remaining),
        InvalidQuantity => PurchaseDecision.Refused(PurchaseStatus.InvalidQuantity, remaining),
        ReplayedSoldOut => PurchaseDecision.Refused(PurchaseStatus.SoldOut, remaining) with { Replayed = true },
        ReplayedLimit => PurchaseDecision.Refused(PurchaseStatus.LimitReached, remaining) with { Replayed = true },
        _ => throw new InvalidDataException($"Unknown purchase outcome code {code}."),
    };
}
