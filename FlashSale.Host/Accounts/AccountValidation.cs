using System.Net.Mail;
using FlashSale.Host.Infrastructure.Problems;

namespace FlashSale.Host.Accounts;

public static class AccountValidation
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;

    /// <summary>The bulk load-testing shoppers' domain: nobody may register an address there.</summary>
    public const string ReservedDomain = "load.flashsale.test";

    public static string NormalizeEmail(string email) => email.Trim().ToUpperInvariant();

    public static bool IsReserved(string email)
    {
        var domain = email.Trim()[(email.Trim().LastIndexOf('@') + 1)..];
        return domain.Equals(ReservedDomain, StringComparison.OrdinalIgnoreCase)
            || domain.EndsWith("." + ReservedDomain, StringComparison.OrdinalIgnoreCase);
    }

    public static bool IsValidEmail(string? email)
    {
        if (string.IsNullOrWhiteSpace(email) || email.Length > 254)
        {
            return false;
        }
        var trimmed = email.Trim();
        // MailAddress accepts display-name forms ("A <a@b>"); we want the bare address and a dot in the domain.
        return MailAddress.TryCreate(trimmed, out var address)
            && string.Equals(address.Address, trimmed, StringComparison.Ordinal)
            && address.Host.Contains('.', StringComparison.Ordinal)
            && !address.Host.EndsWith('.');
    }

    public static ValidationErrors Validate(RegisterRequest request)
    {
        var errors = new ValidationErrors();
        errors.Check(IsValidEmail(request.Email), "email", "A valid email address is required.");
        errors.Check(request.Email is null || !IsReserved(request.Email), "email", $"Addresses at {ReservedDomain} are reserved for load testing.");
        errors.Check(request.Password is { Length: >= MinPasswordLength and <= MaxPasswordLength }, "password",
            $"The password must be {MinPasswordLength} to {MaxPasswordLength} characters.");
        errors.Check(!string.IsNullOrWhiteSpace(request.DisplayName) && request.DisplayName.Trim().Length <= 100, "displayName",
            "A display name of 1 to 100 characters is required.");
        return errors;
    }

    public static ValidationErrors Validate(ChangePasswordRequest request)
    {
        var errors = new ValidationErrors();
        errors.Check(!string.IsNullOrEmpty(request.CurrentPassword), "currentPassword", "The current password is required.");
        errors.Check(request.NewPassword is { Length: >= MinPasswordLength and <= MaxPasswordLength }, "newPassword",
            $"The new password must be {MinPasswordLength} to {MaxPasswordLength} characters.");
        return errors;
    }

    public static ValidationErrors Validate(LoginRequest request)
    {
        var errors = new ValidationErrors();
        errors.Check(!string.IsNullOrWhiteSpace(request.Email), "email", "The email is required.");
        errors.Check(!string.IsNullOrEmpty(request.Password), "password", "The password is required.");
        return errors;
    }
}
