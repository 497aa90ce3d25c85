using FlashSale.Load.Cli;
using FlashSale.Load.Running;

namespace FlashSale.Load.Scenarios;

/// <summary>The built-in scenarios by name. A new scenario is one class and one line here.</summary>
internal static class ScenarioRegistry
{
    public static IReadOnlyList<string> Names { get; } = ["baseline", "browse", "purchase-storm", "flash-rush", "sockets"];

    public static IScenario Create(string name) => name switch
    {
        "baseline" => new BaselineScenario(),
        "browse" => new BrowseScenario(),
        "purchase-storm" => new PurchaseStormScenario(),
        "flash-rush" => new FlashRushScenario(),
        "sockets" => new SocketsScenario(),
        _ => throw new UsageException($"unknown scenario '{name}'; choose one of: {string.Join(", ", Names)}"),
    };
}
