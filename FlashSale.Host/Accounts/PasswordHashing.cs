using Microsoft.AspNetCore.Identity;

namespace FlashSale.Host.Accounts;

/// <summary>
/// ASP.NET Core Identity's hasher (PBKDF2-HMAC-SHA512, 100,000 iterations, per-password salt). Accounts made by
/// the load-testing bulk path carry an unusable hash and can never sign in with a password.
/// </summary>
public sealed class PasswordHashing
{
    public const string Unusable = "!";

    private static readonly object Subject = new();
    private readonly PasswordHasher<object> _hasher = new();
    private readonly string _dummyHash;

    public PasswordHashing() => _dummyHash = _hasher.HashPassword(Subject, "dummy-password-for-timing");

    public string Hash(string password) => _hasher.HashPassword(Subject, password);

    public bool Verify(string? storedHash, string password)
    {
        if (storedHash is null || storedHash == Unusable)
        {
            // Spend the same time as a real check so response timing does not reveal which emails exist.
            _hasher.VerifyHashedPassword(Subject, _dummyHash, password);
            return false;
        }
        try
        {
            return _hasher.VerifyHashedPassword(Subject, storedHash, password) != PasswordVerificationResult.Failed;
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
