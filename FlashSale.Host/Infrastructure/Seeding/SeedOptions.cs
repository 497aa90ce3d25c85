namespace FlashSale.Host.Infrastructure.Seeding;

/// <summary>The admin account the <c>seed</c> verb creates, bound from <c>Seed</c>.</summary>
public sealed class SeedOptions
{
    public const string Section = "Seed";

    /// <summary>The development default written in the README; refused outside Development.</summary>
    public const string DevelopmentAdminPassword = "FlashSale-Admin-2026";

    public string AdminEmail { get; set; } = "";

    public string AdminPassword { get; set; } = "";

    public string AdminDisplayName { get; set; } = "FlashSale admin";

    /// <summary>Whether to add the demo products and sales.</summary>
    public bool DemoData { get; set; } = true;
}
