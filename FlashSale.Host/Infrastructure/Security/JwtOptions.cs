using System.ComponentModel.DataAnnotations;
using System.Text;

namespace FlashSale.Host.Infrastructure.Security;

/// <summary>Access- and refresh-token settings, bound from the <c>Jwt</c> section.</summary>
public sealed class JwtOptions
{
    public const string Section = "Jwt";

    /// <summary>
    /// The key committed in appsettings.Development.json. It only exists so a fresh clone runs; the host refuses
    /// to start with it outside Development.
    /// </summary>
    public const string DevelopmentSigningKey = "flashsale-development-signing-key-not-for-production-use-0123456789";

    [Required]
    public string Issuer { get; set; } = "flashsale";

    [Required]
    public string Audience { get; set; } = "flashsale";

    /// <summary>HMAC-SHA256 key; at least 32 bytes of UTF-8.</summary>
    [Required]
    public string SigningKey { get; set; } = "";

    /// <summary>The longest an access token may live (also the bulk load-testing tokens): a stolen one is worth an hour at most.</summary>
    public const int MaxAccessTokenMinutes = 60;

    [Range(1, MaxAccessTokenMinutes)]
    public int AccessTokenMinutes { get; set; } = 15;

    /// <summary>Lifetime of one refresh token; each rotation starts a new one, capped by <see cref="RefreshFamilyDays"/>.</summary>
    [Range(1, 365)]
    public int RefreshTokenDays { get; set; } = 7;

    /// <summary>Absolute lifetime of a refresh family (one sign-in), however often it is rotated: then sign in again.</summary>
    [Range(1, 365)]
    public int RefreshFamilyDays { get; set; } = 30;

    /// <summary>How long a user's security stamp is cached, i.e. how long a revoked token still works on another host.</summary>
    [Range(1, 60)]
    public int RevocationCheckSeconds { get; set; } = 30;

    public byte[] SigningKeyBytes() => Encoding.UTF8.GetBytes(SigningKey);
}
