using System.Diagnostics;
using FlashSale.Load.Stats;
using FlashSale.Load.Terminal;

namespace FlashSale.Load.Running;

/// <summary>
/// Drives one load phase: starts users (closed model) or arrivals (open model), cuts the statistics every
/// second, reports progress, and stops by itself: no new work after warm-up + duration, in-flight requests get a
/// short drain, then whatever is still open is cancelled.
/// </summary>
internal sealed class LoadDriver(IScenario scenario, ScenarioContext context, CancellationTokenSource stopping, CancellationToken abort)
{
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);
    private readonly Stopwatch _clock = new();
    private int _active;
    private long _startTimestamp;

    private TimeSpan Warmup => context.Options.Warmup;

    private TimeSpan Total => context.Options.Warmup + context.Options.Duration;

    /// <summary>How long requests still in flight at the end may take before they are cancelled.</summary>
    private TimeSpan Drain => TimeSpan.FromSeconds(Math.Min(context.Options.RequestTimeout.TotalSeconds, 10) + 1);

    public async Task RunAsync(IProgressSink progress)
    {
        using var inFlight = CancellationTokenSource.CreateLinkedTokenSource(abort);
        _clock.Start();
        _startTimestamp = Stopwatch.GetTimestamp();
        stopping.CancelAfter(Total);
        var load = context.Options.IsOpenModel ? RunOpenAsync(inFlight.Token) : RunClosedAsync(inFlight.Token);

        await progress.RunAsync(async report =>
        {
            var next = TickInterval;
            var last = TimeSpan.Zero;
            while (!load.IsCompleted)
            {
                var wait = next - _clock.Elapsed;
                if (wait > TimeSpan.Zero)
                {
                    await Task.WhenAny(load, Task.Delay(wait, CancellationToken.None));
                }

                if (load.IsCompleted)
                {
                    break;
                }

                Tick(next, next - last, report);
                last = next;
                next += TickInterval;
                if (_clock.Elapsed > Total + Drain && !inFlight.IsCancellationRequested)
                {
                    context.Notes.Add("requests still in flight after the drain were cancelled (not counted)");
                    await inFlight.CancelAsync();
                }
            }

            await load;
            var end = _clock.Elapsed;
            if (end > last)
            {
                Tick(end, end - last, report);
            }
        });
    }

    private void Tick(TimeSpan at, TimeSpan interval, Action<ProgressSnapshot> report)
    {
        // Warm-up is whole seconds (see LoadRunner), so every interval is either all warm-up or all measured.
        var measured = at > Warmup;
        var points = context.Stats.Tick(at.TotalSeconds, interval.TotalSeconds, measured);
        var phase = !measured ? "warm-up" : at <= Total ? "measuring" : "draining";
        report(new ProgressSnapshot(
            at, Total, phase, Volatile.Read(ref _active), context.Stats.LastOverallRps, context.Stats.LastOverallP99Ms,
            context.Stats.Requests, context.Stats.Failures, points));
    }

    private async Task RunClosedAsync(CancellationToken ct)
    {
        var users = context.Options.Users;
        var ramp = context.Options.Ramp;
        var running = new List<Task>(users);
        for (var i = 0; i < users && !stopping.IsCancellationRequested; i++)
        {
            // --arrival's shape, else a linear ramp: user i starts at i/N of the ramp.
            var due = context.Options.Arrival?.DueAt(i, users) ?? ramp * i / users;
            var wait = due - _clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                try
                {
                    await Task.Delay(wait, stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }

            running.Add(RunUserAsync(CreateUser(i)!, ct));
        }

        await Task.WhenAll(running);
        if (scenario.OneSessionPerShopper && !stopping.IsCancellationRequested)
        {
            // Everyone is done early: give the last stock frames a moment to reach the sockets, then stop.
            await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
            await stopping.CancelAsync();
        }
    }

    private async Task RunUserAsync(VirtualUser user, CancellationToken ct)
    {
        await Task.Yield();
        Interlocked.Increment(ref _active);
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                var iteration = RunIterationAsync(user, ct);
                if (iteration.IsCompleted)
                {
                    // Finished without waiting (a cached answer, an instant failure): yield, or a few users
                    // spinning on two cores starve the rest until the thread pool grows.
                    await Task.Yield();
                }

                if (await iteration == IterationResult.Done)
                {
                    break;
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _active);
        }
    }

    private async Task RunOpenAsync(CancellationToken ct)
    {
        var o = context.Options;
        var schedule = new ArrivalSchedule(o.Rate!.Value, o.Ramp, Total, o.Poisson, o.Seed).Offsets().GetEnumerator();
        using var slots = new SemaphoreSlim(o.MaxInFlight, o.MaxInFlight);
        var entry = context.Stats.Step(scenario.EntryStep);
        var arrival = 0;
        while (schedule.MoveNext())
        {
            var intended = _startTimestamp + (long)(schedule.Current * Stopwatch.Frequency);
            var wait = intended - Stopwatch.GetTimestamp();
            if (wait > Stopwatch.Frequency / 1000)
            {
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency), stopping.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // the window closed before this arrival was due
                }
            }

            try
            {
                // A full house delays the send, never the schedule: the wait is part of this arrival's latency.
                await slots.WaitAsync(stopping.Token);
            }
            catch (OperationCanceledException)
            {
                CountMissed(entry, schedule, intended);
                break;
            }

            var user = CreateUser(arrival++);
            if (user is null)
            {
                slots.Release();
                context.Notes.Add("open model: every prepared shopper has had its session; later arrivals were not sent");
                break;
            }

            user.Arrive(intended);
            _ = RunArrivalAsync(user, slots, ct);
        }

        // Wait for the arrivals still in flight (bounded by the drain in RunAsync).
        while (slots.CurrentCount < o.MaxInFlight)
        {
            await Task.Delay(10, CancellationToken.None);
        }
    }

    private async Task RunArrivalAsync(VirtualUser user, SemaphoreSlim slots, CancellationToken ct)
    {
        Interlocked.Increment(ref _active);
        try
        {
            await RunIterationAsync(user, ct);
        }
        finally
        {
            Interlocked.Decrement(ref _active);
            slots.Release();
        }
    }

    /// <summary>
    /// Arrivals that were due before the run stopped but never got a slot are failures of the system under test
    /// (it could not keep up), so they are recorded with the time they waited instead of silently dropped.
    /// </summary>
    private void CountMissed(StepStats entry, IEnumerator<double> schedule, long firstIntended)
    {
        var now = Stopwatch.GetTimestamp();
        var intended = firstIntended;
        do
        {
            if (intended > now)
            {
                break;
            }

            entry.RecordMicros(Outcome.Missed, LatencyHistograms.MicrosBetween(intended, now));
            intended = schedule.MoveNext() ? _startTimestamp + (long)(schedule.Current * Stopwatch.Frequency) : long.MaxValue;
        }
        while (true);
    }

    private async Task<IterationResult> RunIterationAsync(VirtualUser user, CancellationToken ct)
    {
        try
        {
            return await scenario.RunAsync(user, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return IterationResult.Done;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A bug or surprise inside a scenario must not kill the run; it is counted and named.
            context.Stats.Step("scenario-error").RecordMicros(Outcome.Error(ex.GetType().Name), 1);
            context.Notes.Add($"scenario error: {ex.GetType().Name}: {ex.Message}");
            return IterationResult.Done;
        }
    }

    private VirtualUser? CreateUser(int index)
    {
        var shoppers = context.Shoppers;
        if (shoppers.Count == 0)
        {
            return new VirtualUser(index, -1, null, context.Options.Seed);
        }

        if (scenario.OneSessionPerShopper && index >= shoppers.Count)
        {
            return null;
        }

        var shopperIndex = index % shoppers.Count;
        return new VirtualUser(index, shopperIndex, shoppers[shopperIndex], context.Options.Seed);
    }
}
