namespace FlashSale.Host.Accounts;

public sealed record RegisterRequest(string? Email, string? Password, string? DisplayName);

public sealed record LoginRequest(string? Email, string? Password);

public sealed record RefreshRequest(string? RefreshToken);

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

public sealed record UserResponse(Guid Id, string Email, string DisplayName, string Role)
{
    public static UserResponse From(UserAccount user) => new(user.Id, user.Email, user.DisplayName, user.Role);
}

public sealed record AuthResponse(UserResponse User, string AccessToken, string RefreshToken, int ExpiresIn);
