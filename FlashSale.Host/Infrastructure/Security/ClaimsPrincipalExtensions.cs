using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;

namespace FlashSale.Host.Infrastructure.Security;

public static class ClaimsPrincipalExtensions
{
    /// <summary>The authenticated user's id from the token's <c>sub</c> claim.</summary>
    public static Guid UserId(this ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        var sub = principal.FindFirstValue(JwtRegisteredClaimNames.Sub);
        return Guid.TryParse(sub, out var id) ? id : throw new InvalidOperationException("The token has no user id.");
    }

    public static bool IsAdmin(this ClaimsPrincipal principal) => principal.IsInRole(Roles.Admin);
}
