using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Accounts;

/// <summary>
/// ASP.NET Core Identity's hasher at OWASP's current PBKDF2 recommendation: HMAC-SHA512, <see cref="Iterations"/>
/// iterations, a salt per password. A hash made with fewer iterations (Identity's default of 100,000, what this
/// code used before) still verifies and reports <see cref="PasswordCheck.RehashNeeded"/>, so sign-in upgrades it.
/// Accounts made by the load-testing bulk path carry an unusable hash and can never sign in with a password.
/// </summary>
public sealed class PasswordHashing
{
    public const string Unusable = "!";

    /// <summary>OWASP Password Storage Cheat Sheet (2023): PBKDF2-HMAC-SHA512 with 210,000 iterations.</summary>
    public const int Iterations = 210_000;

    private static readonly object Subject = new();
    private readonly PasswordHasher<object> _hasher = new(Options.Create(new PasswordHasherOptions
    {
        CompatibilityMode = PasswordHasherCompatibilityMode.IdentityV3,
        IterationCount = Iterations,
    }));
    private readonly string _dummyHash;

    public PasswordHashing() => _dummyHash = _hasher.HashPassword(Subject, "dummy-password-for-timing");

    public string Hash(string password) => _hasher.HashPassword(Subject, password);

    public PasswordCheck Verify(string? storedHash, string password)
    {
        if (storedHash is null || storedHash == Unusable)
        {
            // Spend the same time as a real check so response timing does not reveal which emails exist.
            _hasher.VerifyHashedPassword(Subject, _dummyHash, password);
            return PasswordCheck.Failed;
        }
        try
        {
            return _hasher.VerifyHashedPassword(Subject, storedHash, password) switch
            {
                PasswordVerificationResult.Success => PasswordCheck.Success,
                PasswordVerificationResult.SuccessRehashNeeded => PasswordCheck.RehashNeeded,
                _ => PasswordCheck.Failed,
            };
        }
        catch (FormatException)
        {
            return PasswordCheck.Failed;
        }
    }
}

public enum PasswordCheck
{
    Failed,
    Success,

    /// <summary>Right password, stored with an older (weaker) work factor: store a new hash.</summary>
    RehashNeeded,
}
