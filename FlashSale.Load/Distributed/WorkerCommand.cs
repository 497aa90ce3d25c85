using System.Text.Json;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Terminal;

namespace FlashSale.Load.Distributed;

/// <summary>Options of <c>worker</c>.</summary>
internal sealed record WorkerOptions(string Redis, string Prefix, string? RunId, string Name, Uri? Target);

/// <summary>
/// <c>worker --redis …</c>: one process of a multi-process run. It joins the run named by <c>--run</c> (local workers)
/// or the next one announced under the prefix (workers on other machines), runs the share of the load it is handed,
/// and sends back its encoded histograms and purchases. It loads only a loopback target or the one its own
/// <c>--target</c> names: an address read from Redis is never loaded unasked.
/// </summary>
internal static class WorkerCommand
{
    public static WorkerOptions Bind(ArgumentTokens t) => new(
        t.Value("redis") ?? throw new UsageException("worker needs --redis (the Redis the coordinator uses, e.g. 127.0.0.1:6379)"),
        t.Value("redis-prefix") ?? "flashsale-load",
        t.Value("run"),
        t.Value("name") ?? $"{Environment.MachineName}-{Environment.ProcessId}",
        t.Value("target") is { } target ? TargetGuard.Parse(target) : null);

    public static async Task<int> RunAsync(WorkerOptions w, LoadEnvironment env, CancellationToken ct)
    {
        var log = env.Log ?? Console.Out;
        using var redis = await RunChannel.ConnectAsync(w.Redis);
        var runId = w.RunId;
        if (runId is null)
        {
            log.WriteLine($"worker {w.Name}: waiting for a run under '{w.Prefix}'");
            runId = await RunChannel.NextAnnouncedRunAsync(redis, w.Prefix, ct);
        }

        var channel = new RunChannel(redis, w.Prefix, runId);
        await channel.PublishAsync(RunChannel.Hello, w.Name);
        WorkerPlan? plan = null;
        var stopped = false;
        await channel.WaitAsync(m =>
        {
            if (m.Type == RunChannel.Start && m.Worker == w.Name)
            {
                plan = JsonSerializer.Deserialize(m.Body, DistributedJsonContext.Default.WorkerPlan);
            }

            stopped |= m.Type == RunChannel.Stop;
            return plan is not null || stopped;
        }, TimeSpan.FromMinutes(5), $"worker {w.Name}: waiting for the start of run {runId}", ct);
        if (plan is null)
        {
            return LoadRunner.ExitSetup;
        }

        log.WriteLine($"worker {w.Name}: run {runId}, {plan.Shoppers.Count} shoppers, {plan.Options.Users} users");
        var options = plan.Options;
        if (w.Target is { } own)
        {
            options = options with { Target = own };
        }
        else if (!TargetGuard.IsLoopback(options.Target))
        {
            var refused = new WorkerResult(w.Name, plan.Index, 0, [], [], [], [], null, false,
                $"the run targets {options.Target}, which is not loopback: start this worker with --target naming it");
            await channel.PublishAsync(RunChannel.Result, w.Name, JsonSerializer.Serialize(refused, DistributedJsonContext.Default.WorkerResult));
            return LoadRunner.ExitSetup;
        }

        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listening = new CancellationTokenSource();
        var listener = ListenAsync(channel, go, abort, listening.Token);
        RunOutcome outcome;
        try
        {
            outcome = await LoadRunner.RunAsync(options, env with
            {
                Shoppers = plan.Shoppers,
                KeepIntervals = true,
                Progress = new NullProgress(),
                Log = log,
                BeforeLoad = async token =>
                {
                    await channel.PublishAsync(RunChannel.Ready, w.Name);
                    await go.Task.WaitAsync(token);
                },
            }, abort.Token);
        }
        finally
        {
            await listening.CancelAsync();
            await listener;
        }

        var result = WorkerResults.From(plan, outcome);
        await channel.PublishAsync(RunChannel.Result, w.Name, JsonSerializer.Serialize(result, DistributedJsonContext.Default.WorkerResult));
        log.WriteLine($"worker {w.Name}: done ({outcome.Report.Totals.Requests} requests)");
        return result.Failure is null ? LoadRunner.ExitPassed : LoadRunner.ExitSetup;
    }

    /// <summary>Turns the coordinator's go and stop into the run's start and interruption.</summary>
    private static async Task ListenAsync(RunChannel channel, TaskCompletionSource go, CancellationTokenSource abort, CancellationToken ct)
    {
        try
        {
            await channel.WaitAsync(m =>
            {
                if (m.Type == RunChannel.Go)
                {
                    go.TrySetResult();
                }
                else if (m.Type == RunChannel.Stop)
                {
                    abort.Cancel();
                    go.TrySetCanceled();
                    return true;
                }

                return false;
            }, Timeout.InfiniteTimeSpan, "listening", ct);
        }
        catch (OperationCanceledException)
        {
        }
    }
}
