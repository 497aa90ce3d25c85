using FlashSale.Load.Stats;

namespace FlashSale.Load.Terminal;

/// <summary>
/// Where live progress goes while the load runs. The sink wraps the load phase because a live display
/// (Spectre.Console) owns the terminal for exactly that long.
/// </summary>
internal interface IProgressSink
{
    Task RunAsync(Func<Action<ProgressSnapshot>, Task> body);
}

/// <summary>No progress output (tests, --quiet).</summary>
internal sealed class NullProgress : IProgressSink
{
    public Task RunAsync(Func<Action<ProgressSnapshot>, Task> body) => body(static _ => { });
}
