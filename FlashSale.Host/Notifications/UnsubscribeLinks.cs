using System.Security.Cryptography;
using System.Text;
using FlashSale.Host.Infrastructure.Security;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Notifications;

/// <summary>
/// Signed one-click unsubscribe links: <c>?user=…&amp;kind=…&amp;sig=…</c>, where sig is an HMAC-SHA256 of the user and
/// the kind. Whoever holds the email can turn that kind off without signing in, and nobody can forge a link for
/// another shopper or another kind. The key is derived from the token signing key (one secret to manage, and a
/// leaked link key would not sign tokens: HMAC(key, label) is one-way).
/// </summary>
public sealed class UnsubscribeLinks
{
    private readonly byte[] _key;
    private readonly string _baseUrl;

    public UnsubscribeLinks(IOptions<JwtOptions> jwt, IOptions<EmailOptions> email)
    {
        ArgumentNullException.ThrowIfNull(jwt);
        ArgumentNullException.ThrowIfNull(email);
        _key = HMACSHA256.HashData(jwt.Value.SigningKeyBytes(), "flashsale-unsubscribe-v1"u8);
        _baseUrl = email.Value.PublicBaseUrl.TrimEnd('/');
    }

    public const string Path = "/api/v1/notifications/unsubscribe";

    public string For(Guid userId, string kind) => $"{_baseUrl}{Path}?user={userId:D}&kind={Uri.EscapeDataString(kind)}&sig={Sign(userId, kind)}";

    public bool IsValid(Guid userId, string kind, string? signature)
    {
        if (signature is null)
        {
            return false;
        }
        var expected = Encoding.ASCII.GetBytes(Sign(userId, kind));
        var given = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }

    private string Sign(Guid userId, string kind) =>
        Base64Url(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes($"{userId:D}|{kind}")));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
