using System.Diagnostics;
using FlashSale.Load.Shoppers;

namespace FlashSale.Load.Running;

/// <summary>
/// One simulated shopper. In the open model it carries the intended send time of its arrival: the first step
/// measures from then, so time spent waiting for a free slot or a slow host is in the latency (no coordinated omission).
/// </summary>
internal sealed class VirtualUser(int index, int shopperIndex, ShopperToken? shopper, int seed)
{
    private long _intendedTimestamp;

    public int Index { get; } = index;

    /// <summary>Position of <see cref="Shopper"/> in the run's shopper list (several open-model arrivals may share one).</summary>
    public int ShopperIndex { get; } = shopperIndex;

    public ShopperToken? Shopper { get; } = shopper;

    /// <summary>Per-user random source, derived from the run seed so a run repeats.</summary>
    public Random Random { get; } = new(HashCode.Combine(seed, index));

    /// <summary>Scenario state that lives as long as the user (its WebSocket, for example).</summary>
    public object? State { get; set; }

    public string Token => Shopper?.AccessToken ?? throw new InvalidOperationException("this scenario runs without shoppers");

    /// <summary>Marks the arrival's scheduled send time (a <see cref="Stopwatch"/> timestamp).</summary>
    public void Arrive(long intendedTimestamp) => _intendedTimestamp = intendedTimestamp;

    /// <summary>Start timestamp of the next step: the intended arrival time once, then "now".</summary>
    public long BeginStep()
    {
        var intended = _intendedTimestamp;
        if (intended != 0)
        {
            _intendedTimestamp = 0;
            return intended;
        }

        return Stopwatch.GetTimestamp();
    }
}
