using BenchmarkDotNet.Running;

namespace FlashSale.Bench;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project FlashSale.Bench -- --filter '*Engine*'</c> runs one suite.
/// A named class rather than top-level statements, because the referenced host declares its own global
/// <c>Program</c> (for WebApplicationFactory) and two of them would collide.
/// </summary>
internal static class BenchProgram
{
    private static void Main(string[] args) => BenchmarkSwitcher.FromAssembly(typeof(BenchProgram).Assembly).Run(args);
}
