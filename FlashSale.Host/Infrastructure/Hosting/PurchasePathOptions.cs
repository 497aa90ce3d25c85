namespace FlashSale.Host.Infrastructure.Hosting;

/// <summary>Who decides stock: Redis Lua shared by any number of hosts, or one host's own engine.</summary>
public enum PurchasePathMode
{
    /// <summary>The default: several hosts, Redis decides (needs <c>ConnectionStrings:Redis</c>).</summary>
    Redis,

    /// <summary>One host alone, no Redis; it holds the database exclusively (a quick local run).</summary>
    SingleHost,
}

/// <summary>The purchase path's mode, bound from <c>PurchasePath</c>; chosen explicitly, never inferred from a missing setting.</summary>
public sealed class PurchasePathOptions
{
    public const string Section = "PurchasePath";

    public const string MismatchMessage =
        "PurchasePath:Mode Redis needs ConnectionStrings:Redis; SingleHost needs it empty (a single host never uses Redis).";

    public PurchasePathMode Mode { get; set; } = PurchasePathMode.Redis;

    /// <summary>The mode configured (Redis when unset); read while services are registered.</summary>
    public static PurchasePathMode ModeOf(IConfiguration configuration) =>
        configuration.GetSection(Section).Get<PurchasePathOptions>()?.Mode ?? PurchasePathMode.Redis;

    /// <summary>Redis mode has a Redis to talk to; single-host mode has none it could be mistaken to share.</summary>
    public static bool FitsConnectionStrings(PurchasePathOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        var redisConfigured = !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis"));
        return options.Mode == PurchasePathMode.Redis ? redisConfigured : !redisConfigured;
    }
}
