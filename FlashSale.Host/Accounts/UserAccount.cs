namespace FlashSale.Host.Accounts;

/// <summary>
/// A row of <c>users</c>. <see cref="SecurityStamp"/> is copied into every access token; bumping it (sign-out
/// everywhere, password change, refresh-token reuse) makes the older tokens fail where the stamp is checked.
/// </summary>
public sealed record UserAccount(Guid Id, string Email, string DisplayName, string PasswordHash, string Role, DateTime CreatedAt, int SecurityStamp = 0);
