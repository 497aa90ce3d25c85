namespace FlashSale.Load.Api;

// The host's wire shapes (JSON camelCase, ids are UUIDs), as far as the load tool reads or writes them.
// Optional members are nullable so an older host that lacks a field still parses.

internal sealed record LoginRequest(string Email, string Password);

internal sealed record UserDto(Guid Id, string Email, string? DisplayName, string? Role);

internal sealed record AuthResponse(UserDto User, string AccessToken, string? RefreshToken, int ExpiresIn);

internal sealed record BulkShoppersRequest(int Count, string Prefix);

internal sealed record BulkShopper(Guid Id, string Email, string AccessToken);

internal sealed record BulkShoppersResponse(IReadOnlyList<BulkShopper> Shoppers);

internal sealed record CreateProductRequest(string Name, string Description, decimal BasePrice, string? ImageUrl);

internal sealed record ProductDto(Guid Id, string? Name);

internal sealed record CreateSaleRequest(
    Guid ProductId,
    decimal SalePrice,
    int TotalStock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    int? PaymentWindowSeconds,
    bool? WaitingRoom,
    int? AdmissionRatePerSecond,
    int? AdmissionWindowSeconds,
    int? JoinChallengeBits = null,
    int? PrequeueSeconds = null);

/// <summary>PATCH body of a sale: only the fields set are sent (the context ignores nulls when writing).</summary>
internal sealed record UpdateSaleRequest(bool? WaitingRoom);

internal sealed record SaleDto(
    Guid Id,
    Guid ProductId,
    string? ProductName,
    decimal SalePrice,
    decimal BasePrice,
    int TotalStock,
    int RemainingStock,
    int PerUserLimit,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    string? Status,
    bool? WaitingRoom,
    int? JoinChallengeBits = null);

/// <summary>A join's body when the sale asks for a proof of work (<see cref="JoinProof"/>).</summary>
internal sealed record JoinRequest(ulong Nonce);

/// <summary>The host's <c>GET …/queue/stats</c> (admin), as far as the rush's report quotes it.</summary>
internal sealed record LineStatsDto(
    long Issued,
    long AdmittedThrough,
    long Present,
    long Absent,
    long Abandoned,
    long Returning,
    long AdmittedTotal,
    long EtaLastTicketSeconds);

internal sealed record PurchaseRequest(Guid FlashSaleId, int Quantity);

internal sealed record OrderDto(
    Guid Id,
    Guid FlashSaleId,
    Guid UserId,
    int Quantity,
    decimal UnitPrice,
    decimal TotalPrice,
    string? Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset? ExpiresAt);

internal sealed record PayRequest(string CardNumber);

internal sealed record SaleAuditDto(
    int TotalStock,
    int RemainingStock,
    int ReservedUnits,
    int PaidUnits,
    int ExpiredUnits,
    int CancelledUnits,
    bool Consistent,
    Guid? SaleId = null,
    int? PendingReturns = null);

internal sealed record QueueStatusDto(
    long Ticket,
    long Position,
    long AdmittedThrough,
    bool Admitted,
    double? EtaSeconds,
    int? PollAfterMs,
    bool Prequeue = false,
    long? Entrants = null,
    DrawReceiptDto? DrawReceipt = null);

/// <summary>A drawn shopper's receipt (queue/me after a pre-queue's draw): index in the sorted entrant list, ticket.</summary>
internal sealed record DrawReceiptDto(int Index, long Ticket, int Entrants, string ListDigest);

/// <summary>The host's public <c>GET …/fairness</c> after a pre-queue's draw.</summary>
internal sealed record FairnessDto(string Seed, string SeedHash, int Entrants, string ListDigest, DateTimeOffset DrawnAt);

internal sealed record ProblemDto(string? Type, string? Title, int? Status, string? Detail);

internal sealed record SubscribeFrame(string Type, Guid SaleId);
