namespace FlashSale.Host.Infrastructure.Security;

public static class Roles
{
    public const string Shopper = "shopper";
    public const string Admin = "admin";

    /// <summary>The authorization policy name that admin-only routes require.</summary>
    public const string AdminPolicy = "admin";
}
