namespace FlashSale.Tests;

/// <summary>
/// The category every test class carries as <c>[Trait("Category", TestCategory.X)]</c>, so a run can pick by what a
/// test needs: <c>dotnet test --filter Category=unit</c> is the inner loop (no PostgreSQL, Redis or browser, under a
/// minute); <c>scripts/test.sh</c> runs all four. <see cref="TestCategoryTests"/> fails a class without one.
/// </summary>
public static class TestCategory
{
    /// <summary>In memory or on loopback only: needs nothing but the .NET SDK (no PostgreSQL, Redis, browser).</summary>
    public const string Unit = "unit";

    /// <summary>A real PostgreSQL and/or Redis (scripts/services.sh), often behind an in-process host.</summary>
    public const string Integration = "integration";

    /// <summary>Headless Chromium driving the shop's pages against a host.</summary>
    public const string Browser = "browser";

    /// <summary>Faults on purpose: dependencies stopped, slowed or flushed, Redis cluster failover, kill -9.</summary>
    public const string Chaos = "chaos";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal) { Unit, Integration, Browser, Chaos };
}
