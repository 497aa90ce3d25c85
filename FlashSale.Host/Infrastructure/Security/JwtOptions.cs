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

    [Range(1, 1440)]
    public int AccessTokenMinutes { get; set; } = 15;

    [Range(1, 365)]
    public int RefreshTokenDays { get; set; } = 7;

    public byte[] SigningKeyBytes() => Encoding.UTF8.GetBytes(SigningKey);
}
