namespace FlashSale.Host.Accounts;

/// <summary>A row of <c>users</c>.</summary>
public sealed record UserAccount(Guid Id, string Email, string DisplayName, string PasswordHash, string Role, DateTime CreatedAt);
