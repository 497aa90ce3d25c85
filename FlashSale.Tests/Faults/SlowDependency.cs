using Xunit.Abstractions;

namespace FlashSale.Tests.Faults;

/// <summary>The "200 ms slower" fault, the same for PostgreSQL and Redis: answers take longer, and nothing else changes.</summary>
public static class SlowDependency
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// A 4-second storm on a sale of 300 units (limit 2) while <paramref name="proxy"/> delays every answer of the
    /// dependency by <see cref="Delay"/>: no 503, no 201 faster than the delay, and every invariant holds.
    /// </summary>
    public static async Task AssertSlowerButCorrectAsync(FaultRig rig, FaultProxy proxy, string dependency, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(rig);
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(output);
        const int Stock = 300, Limit = 2;
        using var storm = await rig.NewStormAsync(Stock, Limit, shoppers: 200);
        storm.Quantity = n => 1 + (n % 2);
        proxy.Latency = Delay;
        try
        {
            storm.Start();
            await Task.Delay(TimeSpan.FromSeconds(4));
            await storm.StopAsync();
        }
        finally
        {
            proxy.Latency = TimeSpan.Zero;
        }

        var answers = storm.Answers.ToList();
        output.WriteLine($"{answers.Count} answers, {answers.Count(a => a.IsCreated)} created; fastest 201 {answers.Where(a => a.IsCreated).MinBy(a => a.Elapsed)}");
        Assert.Contains(answers, a => a.IsCreated);
        Assert.All(answers, a => Assert.False(a.IsUnavailable, $"a 503 only because {dependency} is slower: {a}"));
        Assert.All(answers.Where(a => a.IsCreated), a => Assert.True(a.Elapsed >= Delay - TimeSpan.FromMilliseconds(10), $"a 201 faster than {dependency}'s delay: {a}"));
        await new InvariantChecker(rig, storm.SaleId, Stock, Limit).AssertAllAsync(answers);
    }
}
