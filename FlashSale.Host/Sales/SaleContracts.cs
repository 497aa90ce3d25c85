using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Sales;

public sealed record CreateSaleRequest(
    Guid? ProductId,
    decimal? SalePrice,
    int? TotalStock,
    int? PerUserLimit,
    DateTimeOffset? StartsAt,
    DateTimeOffset? EndsAt,
    int? PaymentWindowSeconds,
    bool? WaitingRoom,
    int? AdmissionRatePerSecond,
    int? AdmissionWindowSeconds,
    int? JoinChallengeBits = null,
    int? PrequeueSeconds = null);

/// <summary>Only the fields present change; a field sent as null is left as it is.</summary>
public sealed record UpdateSaleRequest(
    decimal? SalePrice,
    DateTimeOffset? EndsAt,
    int? PaymentWindowSeconds,
    bool? WaitingRoom,
    int? AdmissionRatePerSecond,
    int? AdmissionWindowSeconds,
    int? JoinChallengeBits = null,
    int? PrequeueSeconds = null)
{
    public bool IsEmpty => SalePrice is null && EndsAt is null && PaymentWindowSeconds is null && WaitingRoom is null &&
                           AdmissionRatePerSecond is null && AdmissionWindowSeconds is null && JoinChallengeBits is null && PrequeueSeconds is null;
}

public sealed record SaleResponse(
    Guid Id,
    Guid ProductId,
    string ProductName,
    decimal SalePrice,
    decimal BasePrice,
    int TotalStock,
    int RemainingStock,
    int PerUserLimit,
    DateTime StartsAt,
    DateTime EndsAt,
    string Status,
    int PaymentWindowSeconds,
    bool WaitingRoom,
    int AdmissionRatePerSecond,
    int AdmissionWindowSeconds,
    long Version,
    int JoinChallengeBits = 0,
    JoinChallengeView? JoinChallenge = null,
    int PrequeueSeconds = 0,
    FairnessView? Fairness = null)
{
    public static SaleResponse From(Sale sale, int remainingStock, DateTime now) => new(
        sale.Id, sale.ProductId, sale.ProductName, Money.Normalize(sale.SalePrice), Money.Normalize(sale.BasePrice), sale.TotalStock,
        remainingStock, sale.PerUserLimit, sale.StartsAt, sale.EndsAt, SaleStatus.Of(sale.StartsAt, sale.EndsAt, remainingStock, now),
        sale.PaymentWindowSeconds, sale.WaitingRoom, sale.AdmissionRatePerSecond, sale.AdmissionWindowSeconds, sale.Version,
        sale.JoinChallengeBits, sale.JoinChallengeBits > 0 ? new JoinChallengeView(sale.JoinChallengeBits, Sales.JoinChallenge.Input, Sales.JoinChallenge.Submit) : null,
        sale.PrequeueSeconds, sale.FairnessSeedHash is { } hash ? new FairnessView(hash) : null);
}

/// <summary>The commitment of a pre-queue sale's draw: the SHA-256 (hex) of the seed it will be drawn with.</summary>
public sealed record FairnessView(string SeedHash);

/// <summary>What a client needs to solve a sale's join challenge (null on the sale when it has none).</summary>
public sealed record JoinChallengeView(int Bits, string Input, string Submit);

public static class SaleLimits
{
    public const int MaxStock = 10_000_000;
    public const int MaxPerUserLimit = 1_000;
    public const int DefaultPaymentWindowSeconds = 600;
    public const int DefaultAdmissionRatePerSecond = 50;
    public const int DefaultAdmissionWindowSeconds = 120;

    /// <summary>
    /// An order's total (unit price × quantity, at most the per-user limit) must fit <c>orders.total_price</c>, the
    /// same numeric(12,2) as every amount: a sale that could produce a bigger one is refused up front, never at commit.
    /// </summary>
    public static void CheckOrderTotal(ValidationErrors errors, decimal? salePrice, int? perUserLimit) =>
        // Only judged on a valid price and limit (their own checks report the others), so the product cannot overflow.
        errors.Check(!Money.IsValid(salePrice) || perUserLimit is not (>= 1 and <= MaxPerUserLimit) || salePrice * perUserLimit <= Money.Max, "salePrice",
            $"The sale price times the per-user limit must not exceed {Money.Max} (the largest order total).");

    public static void CheckPaymentWindow(ValidationErrors errors, int? seconds) =>
        errors.Check(seconds is null or (>= 30 and <= 86_400), "paymentWindowSeconds", "The payment window must be 30 to 86400 seconds.");

    public static void CheckAdmission(ValidationErrors errors, int? rate, int? window)
    {
        errors.Check(rate is null or (>= 1 and <= 100_000), "admissionRatePerSecond", "The admission rate must be 1 to 100000 shoppers per second.");
        // Down to 1 s so drills and tests can watch a turn lapse; the admin page suggests at least 10 s.
        errors.Check(window is null or (>= 1 and <= 3_600), "admissionWindowSeconds", "The admission window must be 1 to 3600 seconds.");
    }

    /// <summary>409 from PATCH: <c>prequeueSeconds</c> can no longer change (see <see cref="PrequeueFixedReason"/>).</summary>
    public const string PrequeueFixed = "https://flashsale.dev/problems/prequeue-fixed";

    /// <summary>
    /// Why a sale's pre-queue can no longer change to <paramref name="seconds"/> at <paramref name="now"/>, or null when
    /// it still can: it is fixed once the sale started or the pre-queue opened, and a new value may not open it now or in
    /// the past (shoppers would have had no fair chance to enter). Places already held are checked by the update itself.
    /// </summary>
    public static string? PrequeueFixedReason(Sale sale, int seconds, DateTime now)
    {
        ArgumentNullException.ThrowIfNull(sale);
        return now >= sale.StartsAt ? "The sale has started: its line is what it is."
            : sale.PrequeueSeconds > 0 && now >= sale.StartsAt.AddSeconds(-sale.PrequeueSeconds) ? "The pre-queue has already opened: its entrants joined under it."
            : seconds > 0 && sale.StartsAt.AddSeconds(-seconds) <= now ? "That pre-queue would open now or in the past; choose fewer seconds."
            : null;
    }

    /// <summary>A pre-queue opens at most a day before the start.</summary>
    public const int MaxPrequeueSeconds = 86_400;

    public static void CheckPrequeue(ValidationErrors errors, int? seconds, bool? waitingRoom) =>
        errors.Check(seconds is null or 0 || (seconds is > 0 and <= MaxPrequeueSeconds && waitingRoom == true), "prequeueSeconds",
            $"The pre-queue must be 0 (off) to {MaxPrequeueSeconds} seconds, on a sale with a waiting room.");

    public static void CheckJoinChallenge(ValidationErrors errors, int? bits) =>
        errors.Check(bits is null or (>= 0 and <= JoinChallenge.MaxBits), "joinChallengeBits",
            $"The join challenge must be 0 (off) to {JoinChallenge.MaxBits} bits.");
}
