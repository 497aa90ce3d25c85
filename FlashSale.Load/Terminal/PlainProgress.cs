using System.Globalization;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Terminal;

/// <summary>One line a second: for redirected output, CI logs and --plain.</summary>
internal sealed class PlainProgress(TextWriter writer) : IProgressSink
{
    public Task RunAsync(Func<Action<ProgressSnapshot>, Task> body) => body(s => writer.WriteLine(Format(s)));

    public static string Format(ProgressSnapshot s) => string.Create(
        CultureInfo.InvariantCulture,
        $"[{s.Elapsed.TotalSeconds,6:0.0}s/{s.Total.TotalSeconds:0}s {s.Phase,-9}] users {s.ActiveUsers,6}  rps {s.Rps,9:0.0}  p99 {s.P99Ms,8:0.00}ms  requests {s.Requests,9}  errors {s.Failures}");
}
