namespace FlashSale.Load.Running;

/// <summary>
/// When each arrival of the open model is due, as offsets from the start in seconds. The rate climbs linearly
/// from zero to <c>rate</c> over <c>ramp</c> and then holds. Arrival k is due where the expected number of
/// arrivals reaches k, so evenly spaced arrivals and Poisson arrivals (exponential gaps in that same
/// "operational time") share one mapping. The schedule is fixed before the run: a slow host cannot push it back.
/// </summary>
internal sealed class ArrivalSchedule(double rate, TimeSpan ramp, TimeSpan total, bool poisson, int seed)
{
    public IEnumerable<double> Offsets()
    {
        var random = new Random(seed);
        var end = total.TotalSeconds;
        var operational = 0.0;
        while (true)
        {
            // Exponential gap with mean 1 for Poisson; a gap of exactly 1 for even spacing.
            operational += poisson ? -Math.Log(1 - random.NextDouble()) : 1.0;
            var t = TimeOf(operational);
            if (t >= end)
            {
                yield break;
            }

            yield return t;
        }
    }

    /// <summary>Inverse of the expected arrivals N(t) = R t²/(2T) during the ramp, then R T/2 + R (t - T).</summary>
    public double TimeOf(double arrivals)
    {
        var t = ramp.TotalSeconds;
        var rampArrivals = rate * t / 2;
        return t > 0 && arrivals <= rampArrivals
            ? Math.Sqrt(2 * t * arrivals / rate)
            : t + ((arrivals - rampArrivals) / rate);
    }
}
