namespace FlashSale.Host.Sales;

/// <summary>
/// A row of <c>flash_sales</c> joined with its product. <see cref="Version"/> is bumped by every change;
/// <see cref="JoinChallengeBits"/> is the proof of work a join of its line needs (<see cref="JoinChallenge"/>, 0 = none);
/// <see cref="PrequeueSeconds"/> opens a pre-queue that long before the start, drawn fairly at the start
/// (<see cref="FairnessSeedHash"/>: the SHA-256 of the draw's seed, public from the creation; see <see cref="FairDraw"/>).
/// </summary>
public sealed record Sale(
    Guid Id,
    Guid ProductId,
    string ProductName,
    decimal SalePrice,
    decimal BasePrice,
    int TotalStock,
    int PerUserLimit,
    DateTime StartsAt,
    DateTime EndsAt,
    int PaymentWindowSeconds,
    bool WaitingRoom,
    int AdmissionRatePerSecond,
    int AdmissionWindowSeconds,
    DateTime CreatedAt,
    DateTime UpdatedAt,
    long Version = 1,
    int JoinChallengeBits = 0,
    int PrequeueSeconds = 0,
    string? FairnessSeedHash = null);
