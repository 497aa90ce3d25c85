namespace FlashSale.Load.Cli;

/// <summary>Options of <c>prepare</c>: create shoppers through the bulk endpoint and store their tokens.</summary>
internal sealed record PrepareOptions
{
    public Uri Target { get; init; } = TargetGuard.DefaultTarget;

    public int Users { get; init; } = 10_000;

    public string ShoppersFile { get; init; } = Path.Combine(".load", "shoppers.json");

    public string AdminEmail { get; init; } = "admin@flashsale.local";

    public string AdminPassword { get; init; } = "FlashSale-Admin-2026";

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(2);
}
