using System.Diagnostics;
using System.Text.Json;
using FlashSale.Load.Cli;
using FlashSale.Load.Running;
using FlashSale.Load.Shoppers;

namespace FlashSale.Load.Distributed;

/// <summary>
/// A run spread over worker processes. This process sets the run up as a single run would (shoppers, sale), then
/// hands each worker its share through the run's Redis stream (<see cref="RunChannel"/>): hello from every worker,
/// a start with its plan, ready from every worker once its own set-up is done, one go for all, and at the end each
/// worker's encoded histograms and purchases, which are merged into one report and audited here.
/// </summary>
internal static class Coordinator
{
    private static readonly TimeSpan JoinTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromMinutes(3);

    public static async Task<MergedLoad> RunAsync(ScenarioContext context, LoadEnvironment env, CancellationToken abort)
    {
        var o = context.Options;
        var redisConfig = o.Redis ?? throw new SetupException("a multi-process run needs --redis");
        using var redis = await RunChannel.ConnectAsync(redisConfig);
        var channel = new RunChannel(redis, o.RedisPrefix, Guid.NewGuid().ToString("N")[..12]);
        var local = o.Processes > 1 ? o.Processes : 0;
        var expected = local + o.RemoteWorkers;
        var processes = new List<Process>();
        var inProcess = new List<Task>();
        try
        {
            context.Log.WriteLine($"workers: run {channel.RunId} on {redis.Configuration.Split(',')[0]}, {local} local, {o.RemoteWorkers} remote (FlashSale.Load worker --redis … --redis-prefix {o.RedisPrefix})");
            await channel.AnnounceAsync(expected);
            for (var i = 0; i < local; i++)
            {
                var start = new LocalWorkerStart(redisConfig, o.RedisPrefix, channel.RunId, $"local-{i + 1}");
                if (env.StartLocalWorker is { } startInProcess)
                {
                    inProcess.Add(startInProcess(start, abort));
                }
                else
                {
                    processes.Add(LocalWorkers.Start(start, context.Log));
                }
            }

            var workers = new List<string>();
            await channel.WaitAsync(m =>
            {
                if (m.Type == RunChannel.Hello && !workers.Contains(m.Worker))
                {
                    workers.Add(m.Worker);
                }

                return workers.Count >= expected;
            }, JoinTimeout, $"waiting for {expected} workers ({workers.Count} joined)", abort);

            var plans = Plan(o, context.Shoppers, context.Sale?.Id, workers);
            foreach (var plan in plans)
            {
                await channel.PublishAsync(RunChannel.Start, plan.Worker, JsonSerializer.Serialize(plan, DistributedJsonContext.Default.WorkerPlan));
            }

            var results = new Dictionary<string, WorkerResult>(StringComparer.Ordinal);
            var ready = new HashSet<string>(StringComparer.Ordinal);
            bool Collect(RunMessage m)
            {
                if (m.Type == RunChannel.Ready)
                {
                    ready.Add(m.Worker);
                }
                else if (m.Type == RunChannel.Result)
                {
                    results[m.Worker] = JsonSerializer.Deserialize(m.Body, DistributedJsonContext.Default.WorkerResult)!;
                    ready.Add(m.Worker);
                }

                return false;
            }

            await channel.WaitAsync(m => Collect(m) || ready.Count >= expected, ReadyTimeout, "waiting for the workers' set-up", abort);
            if (results.Values.FirstOrDefault(r => r.Failure is not null) is { } failed)
            {
                await channel.PublishAsync(RunChannel.Stop, "coordinator");
                throw new SetupException($"worker {failed.Worker}: {failed.Failure}");
            }

            context.Log.WriteLine($"workers: {expected} ready, go");
            await channel.PublishAsync(RunChannel.Go, "coordinator");
            var runLength = o.Warmup + o.Ramp + o.Duration + (o.StartIn ?? TimeSpan.Zero) + o.RequestTimeout + TimeSpan.FromMinutes(2);
            try
            {
                await channel.WaitAsync(m => Collect(m) || results.Count >= expected, runLength, "waiting for the workers' results", abort);
            }
            catch (OperationCanceledException)
            {
                // Interrupted: tell the workers, then still collect what they measured until then.
                await channel.PublishAsync(RunChannel.Stop, "coordinator");
                await channel.WaitAsync(m => Collect(m) || results.Count >= expected, TimeSpan.FromSeconds(60), "waiting for the stopped workers' results", CancellationToken.None);
            }

            context.Log.WriteLine($"workers: {results.Count} results merged");
            return WorkerResults.Merge(results.Values.ToList(), plans) with { Interrupted = abort.IsCancellationRequested || results.Values.Any(r => r.Interrupted) };
        }
        catch (TimeoutException ex)
        {
            await channel.PublishAsync(RunChannel.Stop, "coordinator");
            throw new SetupException(ex.Message);
        }
        finally
        {
            await channel.DeleteAsync();
            await Task.WhenAll(inProcess).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None).ContinueWith(static _ => { }, TaskScheduler.Default);
            foreach (var process in processes)
            {
                if (!process.WaitForExit(TimeSpan.FromSeconds(15)))
                {
                    process.Kill(entireProcessTree: true);
                }

                process.Dispose();
            }
        }
    }

    /// <summary>
    /// Each worker's share: an even part of the users (or rate), of a flash-rush's watchers and bots, and of the
    /// shoppers of each of those groups (buyers first, then watchers, then bots, as a single run lays them out).
    /// </summary>
    public static IReadOnlyList<WorkerPlan> Plan(LoadOptions o, IReadOnlyList<ShopperToken> shoppers, Guid? saleId, IReadOnlyList<string> workers)
    {
        var n = workers.Count;
        var buyers = Math.Max(0, shoppers.Count - o.Watchers - o.Bots);
        var plans = new List<WorkerPlan>(n);
        for (var k = 0; k < n; k++)
        {
            var indexes = Slice(0, buyers, n, k)
                .Concat(Slice(buyers, o.Watchers, n, k))
                .Concat(Slice(buyers + o.Watchers, o.Bots, n, k))
                .Where(i => i < shoppers.Count)
                .ToList();
            var options = o with
            {
                Users = Math.Max(1, Share(o.Users, n, k + 1) - Share(o.Users, n, k)),
                Watchers = Share(o.Watchers, n, k + 1) - Share(o.Watchers, n, k),
                Bots = Share(o.Bots, n, k + 1) - Share(o.Bots, n, k),
                Arrival = o.Arrival is { } shape ? shape with { Users = Math.Max(1, Share(shape.Users, n, k + 1) - Share(shape.Users, n, k)) } : null,
                Rate = o.Rate / n,
                MaxInFlight = Math.Max(1, (o.MaxInFlight + n - 1) / n),
                Connections = 0,
                Seed = o.Seed + k,
                SaleId = saleId ?? o.SaleId,
                Audit = false,
                WriteReports = false,
                OutDir = null,
                Thresholds = [],
                Processes = 1,
                RemoteWorkers = 0,
                WorkerIndex = k,
                // The coordinator watches the host process for the whole run; workers may not even share its machine.
                HostPid = null,
                Quiet = true,
                CommandLine = [],
                // Workers never sign in as admin (the coordinator set the sale up and audits it): keep the password here.
                AdminPassword = "",
            };
            plans.Add(new WorkerPlan(workers[k], k, options, indexes, indexes.Select(i => shoppers[i]).ToList()));
        }

        return plans;
    }

    private static IEnumerable<int> Slice(int from, int count, int parts, int k) =>
        Enumerable.Range(from + Share(count, parts, k), Share(count, parts, k + 1) - Share(count, parts, k));

    private static int Share(int total, int parts, int k) => (int)((long)total * k / parts);
}
