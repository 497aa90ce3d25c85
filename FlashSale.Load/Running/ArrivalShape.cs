using System.Globalization;
using System.Text.RegularExpressions;
using FlashSale.Load.Cli;

namespace FlashSale.Load.Running;

internal enum ArrivalKind
{
    /// <summary>Everyone within the window, evenly: the opening-second stampede.</summary>
    Spike,

    /// <summary>The arrival rate climbs linearly from zero over the window.</summary>
    Ramp,

    /// <summary>Equal batches at equal intervals (a newsletter, then a push notification, then ...).</summary>
    Steps,
}

/// <summary>
/// <c>--arrival</c>: when each of the closed model's shoppers shows up. <c>spike:10000@1s</c> (10,000 within one
/// second), <c>ramp:10000@30s</c> (rate rising linearly over 30 s), <c>steps:10000@10s/5</c> (5 batches of 2,000,
/// 2 s apart). The count is the run's users. Times are from the start of the load phase; a flash-rush's sale opens
/// <c>--start-in</c> after set-up, so arrivals before that are the line forming.
/// </summary>
internal sealed partial record ArrivalShape(ArrivalKind Kind, int Users, TimeSpan Window, int Batches)
{
    public static ArrivalShape Parse(string text)
    {
        var m = Pattern().Match(text.Trim());
        if (!m.Success)
        {
            throw new UsageException($"--arrival: '{text}' is not a shape such as spike:10000@1s, ramp:10000@30s or steps:10000@10s/5");
        }

        var kind = Enum.Parse<ArrivalKind>(m.Groups["kind"].Value, ignoreCase: true);
        var users = ValueParsers.Count("arrival", m.Groups["users"].Value, 1, 100_000);
        var window = ValueParsers.Duration("arrival", m.Groups["window"].Value);
        var batches = m.Groups["batches"].Success ? ValueParsers.Count("arrival", m.Groups["batches"].Value, 1, users) : 1;
        if (kind == ArrivalKind.Steps && !m.Groups["batches"].Success)
        {
            throw new UsageException($"--arrival: '{text}': steps needs the number of batches, e.g. steps:10000@10s/5");
        }

        return new ArrivalShape(kind, users, window, batches);
    }

    /// <summary>When shopper <paramref name="i"/> (0-based) of <paramref name="users"/> arrives, from the start.</summary>
    public TimeSpan DueAt(int i, int users)
    {
        var fraction = users <= 0 ? 0 : (double)i / users;
        return Kind switch
        {
            ArrivalKind.Spike => Window * fraction,
            // Expected arrivals N(t) = N (t/T)² under a linearly rising rate: the i-th is due at T sqrt(i/N).
            ArrivalKind.Ramp => Window * Math.Sqrt(fraction),
            _ => Window * (Math.Floor(fraction * Batches) / Batches),
        };
    }

    public override string ToString() => Kind == ArrivalKind.Steps
        ? string.Create(CultureInfo.InvariantCulture, $"steps:{Users}@{Window.TotalSeconds}s/{Batches}")
        : string.Create(CultureInfo.InvariantCulture, $"{Kind.ToString().ToLowerInvariant()}:{Users}@{Window.TotalSeconds}s");

    [GeneratedRegex(@"^(?<kind>spike|ramp|steps):(?<users>\d+)@(?<window>[0-9.]+(?:ms|s|m)?)(?:/(?<batches>\d+))?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
