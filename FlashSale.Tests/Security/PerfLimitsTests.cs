using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;

namespace FlashSale.Tests.Security;

/// <summary>
/// A host with the shipped abuse limits plus what scripts/lib/perf-limits.sh exports for the perf scripts' hosts
/// (their closed-model users send purchase after purchase: the per-user bucket would answer most of them 429 and the
/// figures would measure the limiter, not the engine).
/// </summary>
public sealed class PerfLimitsApp : DefaultLimitsApp
{
    public PerfLimitsApp()
    {
        foreach (var (key, value) in PerfLimitsTests.ExportedByScript())
        {
            Settings[key] = value;
        }
    }
}

[Trait("Category", TestCategory.Integration)]
public sealed class PerfLimitsTests(PerfLimitsApp app) : IClassFixture<PerfLimitsApp>
{
    /// <summary>The RateLimits__/Accounts__ variables the script exports, as configuration keys.</summary>
    internal static Dictionary<string, string> ExportedByScript([System.Runtime.CompilerServices.CallerFilePath] string here = "")
    {
        var repository = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));
        var start = new ProcessStartInfo("bash", ["-c", "env -i bash -c '. scripts/lib/perf-limits.sh && env'"])
        {
            WorkingDirectory = repository,
            RedirectStandardOutput = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Split('\n')
            .Where(line => line.StartsWith("RateLimits__", StringComparison.Ordinal) || line.StartsWith("Accounts__", StringComparison.Ordinal))
            .Select(line => line.Split('=', 2))
            .ToDictionary(kv => kv[0].Replace("__", ":", StringComparison.Ordinal), kv => kv[1]);
    }

    [Fact]
    public async Task A_perf_host_lets_one_shopper_send_purchase_after_purchase()
    {
        using var shopper = await app.ShopperAsync();
        var saleId = Guid.NewGuid(); // no such sale: every purchase the limiter lets through is a cheap 404
        for (var i = 0; i < 100; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/orders")
            {
                Content = JsonContent.Create(new { flashSaleId = saleId, quantity = 1 }),
                Headers = { { "Idempotency-Key", "perf-" + i } },
            };
            Assert.Equal(HttpStatusCode.NotFound, (await shopper.SendAsync(request)).StatusCode);
        }
    }
}
