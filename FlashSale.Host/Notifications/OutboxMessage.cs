namespace FlashSale.Host.Notifications;

/// <summary>
/// One claimed outbox row with everything its email says, read in the claiming statement: the figures come from the
/// order and the sale as they are at send time (an order's quantity, prices and deadline never change once reserved).
/// Order columns are null for sale kinds.
/// </summary>
public sealed record OutboxMessage(
    long Id,
    string Kind,
    Guid UserId,
    Guid SubjectId,
    long SubjectVersion,
    int Attempts,
    string Email,
    string DisplayName,
    bool OptedOut,
    Guid? SaleId,
    string? ProductName,
    decimal? SalePrice,
    DateTime? StartsAt,
    int? Quantity,
    decimal? UnitPrice,
    decimal? TotalPrice,
    DateTime? ExpiresAt)
{
    /// <summary>
    /// The email's Message-Id, the same on every attempt of this row on any host: a resend after a crash (sent, then
    /// killed before it was marked) is recognisable as the same message. From the natural key, not the row id, so it
    /// says what the message is about.
    /// </summary>
    public string MessageId(string domain) => $"{Kind}.{SubjectId:N}.{UserId:N}.{SubjectVersion}@{domain}";
}
