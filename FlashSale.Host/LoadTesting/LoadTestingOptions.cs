using System.ComponentModel.DataAnnotations;

namespace FlashSale.Host.LoadTesting;

/// <summary>
/// The bulk-shopper endpoint for FlashSale.Load. Off unless <c>LoadTesting:Enabled</c> is true, and then still
/// admin-only; it never exists in a deployment that did not ask for it.
/// </summary>
public sealed class LoadTestingOptions
{
    public const string Section = "LoadTesting";

    public bool Enabled { get; set; }

    /// <summary>Lifetime of the access tokens handed out, long enough for a whole run.</summary>
    [Range(1, 1440)]
    public int TokenMinutes { get; set; } = 60;
}
