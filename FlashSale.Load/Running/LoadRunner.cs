using System.Net.WebSockets;
using FlashSale.Load.Api;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Distributed;
using FlashSale.Load.Reports;
using FlashSale.Load.Scenarios;
using FlashSale.Load.Stats;
using FlashSale.Load.Telemetry;
using FlashSale.Load.Terminal;
using FlashSale.Load.Thresholds;
using Spectre.Console;

namespace FlashSale.Load.Running;

/// <summary>The result of a run: its report, the exit code, and where the report files went (null when not written).</summary>
internal sealed record RunOutcome(RunReport Report, int ExitCode, string? ReportDirectory)
{
    /// <summary>The measured histograms (a worker sends them to its coordinator).</summary>
    public RunStatistics? Statistics { get; init; }

    /// <summary>Each second's histograms per step, when the environment asked to keep them.</summary>
    public IReadOnlyList<StepInterval> Intervals { get; init; } = [];

    /// <summary>Every 201 the run received.</summary>
    public IReadOnlyList<PurchaseRecord> Purchases { get; init; } = [];

    /// <summary>Purchases accepted out of turn, when the run watched for them (flash-rush bots).</summary>
    public long? LineInversions { get; init; }
}

/// <summary>
/// One run end to end: shoppers, scenario set-up, load, clean-up, audit, thresholds, reports. The console verb
/// and tests call the same entry point; a test passes the in-process host's handler and a short duration.
/// </summary>
internal static class LoadRunner
{
    public const int ExitPassed = 0;
    public const int ExitFailed = 1;
    public const int ExitUsage = 2;
    public const int ExitSetup = 3;

    /// <summary>Sockets this process may hold: the open-file cap is 20,000 and .NET aborts near 19,900.</summary>
    public const int SocketBudget = 18_500;

    public static async Task<RunOutcome> RunAsync(LoadOptions options, LoadEnvironment? environment = null, CancellationToken ct = default)
    {
        var env = environment ?? new LoadEnvironment();
        var log = env.Log ?? Console.Out;
        var scenario = ScenarioRegistry.Create(options.Scenario);
        var notes = new List<string>();
        options = Resolve(options, scenario, notes);
        log.WriteLine($"FlashSale.Load {scenario.Name}: {TargetGuard.Describe(options.Target)}");

        var ownHandler = env.Handler is null;
        var stats = new StatsCollector(env.KeepIntervals);
        using var poolWait = new HttpPoolWait(stats);
        var handler = env.Handler ?? HttpFactory.CreateHandler(options.Connections, poolWait);
        using var http = HttpFactory.CreateClient(handler, ownHandler, options.Target, options.RequestTimeout);
        // A failed upgrade (a host without /ws) leaves a plain keep-alive connection in this pool: let it go soon.
        using var wsHandler = new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, UseCookies = false, PooledConnectionIdleTimeout = TimeSpan.FromSeconds(1) };
        var connect = env.ConnectWebSocket ?? DefaultConnector(env.Handler ?? wsHandler);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(ct);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(abort.Token);
        var context = new ScenarioContext(options, new FlashSaleApi(http), stats, log, connect, stopping.Token);
        if (ownHandler)
        {
            context.OpenConnectionsAsync = token => poolWait.OpenConnectionsAsync(context.Api, options.Connections, token);
        }
        foreach (var note in notes)
        {
            context.Notes.Add(note);
        }

        var startedAt = DateTimeOffset.UtcNow;
        var loadAverageAtStart = MachineProbe.LoadAverage();
        string? failure = null;
        var aborted = false;
        MergedLoad? merged = null;
        try
        {
            if (env.Shoppers is { } given)
            {
                context.Shoppers = given;
            }
            else if (scenario.NeedsShoppers)
            {
                var mustLive = startedAt + options.Warmup + options.Duration + options.Ramp + (options.StartIn ?? TimeSpan.Zero) + TimeSpan.FromMinutes(1);
                // purchase-storm's closed-model users take turns through the shoppers (see PurchaseStormScenario).
                context.Shoppers = await ShopperSource.GetAsync(context, ShoppersNeeded(options, scenario), mustLive, abort.Token,
                    useAll: scenario is PurchaseStormScenario && !options.IsOpenModel);
            }

            log.WriteLine($"setting up {scenario.Name}…");
            await scenario.InitAsync(context, abort.Token);
            log.WriteLine(options.IsOpenModel
                ? $"running: {options.Rate}/s for {options.Warmup.TotalSeconds}s warm-up + {options.Duration.TotalSeconds}s, {options.Connections} connections"
                : $"running: {options.Users} users for {options.Warmup.TotalSeconds}s warm-up + {options.Duration.TotalSeconds}s, {options.Connections} connections");
            if (options.IsCoordinator)
            {
                merged = await Coordinator.RunAsync(context, env, abort.Token);
                aborted = merged.Interrupted;
            }
            else
            {
                if (env.BeforeLoad is { } beforeLoad)
                {
                    await beforeLoad(abort.Token);
                }

                var progress = env.Progress ?? ChooseProgress(options);
                using var otlp = options.Otlp is { } endpoint ? new OtlpProgress(progress, options, endpoint) : null;
                await new LoadDriver(scenario, context, stopping, abort.Token).RunAsync(otlp ?? progress);
            }
        }
        catch (SetupException ex)
        {
            failure = ex.Message;
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            aborted = true;
            context.Notes.Add("the run was interrupted; figures cover what was measured until then");
        }
        finally
        {
            try
            {
                await scenario.CleanupAsync(CancellationToken.None);
            }
            catch (Exception ex) when (ex is TimeoutException or WebSocketException or OperationCanceledException)
            {
                context.Notes.Add("clean-up did not finish: " + ex.Message);
            }
        }

        if (merged is not null)
        {
            context.Ledger.AddRange(merged.Purchases);
            context.LineInversions = merged.LineInversions;
            foreach (var note in merged.Notes)
            {
                context.Notes.Add(note);
            }
        }

        AuditReport? audit = null;
        if (failure is null && !aborted && scenario.IsPurchase && options.Audit && context.Sale is not null)
        {
            log.WriteLine("auditing…");
            audit = await AuditRunner.RunAsync(context, CancellationToken.None);
        }

        var statistics = merged?.Statistics ?? stats.Finish();
        var thresholds = ThresholdEvaluator.Evaluate(options.Thresholds.Select(ThresholdParser.Parse), statistics);
        var verdict = Decide(failure, aborted, thresholds, audit);
        var webSockets = merged is not null ? merged.WebSockets
            : scenario is FlashRushScenario { Feed: { } feed } ? new WebSocketReport(feed.PeakOpenSockets, feed.Frames, feed.FramesWithSentAt)
            : null;
        var report = ReportBuilder.Build(
            options, scenario, statistics, merged?.Series ?? stats.Series, webSockets, thresholds, audit, context.Notes.All, verdict,
            MachineProbe.Collect(env.GitCommit, loadAverageAtStart), startedAt, DateTimeOffset.UtcNow, context.Sale?.Id, merged?.Workers);

        string? directory = null;
        if (options.WriteReports)
        {
            directory = options.OutDir ?? ReportWriter.DefaultDirectory(scenario.Name, startedAt);
            ReportWriter.Write(directory, report);
        }

        return new RunOutcome(report, verdict.ExitCode, directory)
        {
            Statistics = statistics,
            Intervals = stats.Intervals,
            Purchases = context.Ledger.Snapshot(),
            LineInversions = context.LineInversions,
        };
    }

    /// <summary>Fills scenario defaults and sizes the connection pool inside the socket budget.</summary>
    public static LoadOptions Resolve(LoadOptions options, IScenario scenario, List<string> notes)
    {
        var users = options.Users > 0 ? options.Users : scenario.DefaultUsers;
        var concurrency = options.IsOpenModel ? options.MaxInFlight : users;
        var webSockets = options.Watchers + (scenario is FlashRushScenario or SocketsScenario ? (options.IsOpenModel ? Math.Min(options.MaxInFlight, ShoppersNeeded(options with { Users = users }, scenario)) : users) : 0);
        // A multi-process run holds its sockets in the workers, each its share.
        var workers = Math.Max(1, options.WorkerCount);
        if (options.IsCoordinator && users < workers)
        {
            throw new UsageException($"{users} users cannot be spread over {workers} workers");
        }

        webSockets = (webSockets + workers - 1) / workers;
        if (webSockets > SocketBudget - 64)
        {
            throw new UsageException($"{webSockets} WebSockets per process exceed what one process may hold here ({SocketBudget} sockets under a 20,000 open-file cap); run fewer users or more --processes");
        }

        var connections = options.Connections > 0 ? options.Connections : Math.Min(1024, Math.Max(1, concurrency));
        if (connections + webSockets > SocketBudget)
        {
            connections = Math.Max(16, SocketBudget - webSockets);
            notes.Add($"HTTP connections capped at {connections} to stay within the socket budget");
        }

        return options with
        {
            Users = users,
            Connections = connections,
            // Whole seconds, so warm-up ends on a one-second tick and no interval is half counted.
            Warmup = TimeSpan.FromSeconds(Math.Ceiling(options.Warmup.TotalSeconds)),
        };
    }

    public static int ShoppersNeeded(LoadOptions options, IScenario scenario)
    {
        if (!options.IsOpenModel)
        {
            // A flash-rush's watchers and bots use the accounts after the buyers'.
            return (options.Users > 0 ? options.Users : scenario.DefaultUsers) + options.Watchers + options.Bots;
        }

        var arrivals = (int)Math.Min(100_000, Math.Ceiling(options.Rate!.Value * (options.Warmup + options.Duration).TotalSeconds));
        return Math.Max(1, scenario.OneSessionPerShopper ? arrivals : Math.Min(arrivals, 10_000));
    }

    private static Verdict Decide(string? failure, bool aborted, IReadOnlyList<ThresholdResult> thresholds, AuditReport? audit)
    {
        var reasons = new List<string>();
        if (failure is not null)
        {
            reasons.Add("set-up failed: " + failure);
            return new Verdict(false, ExitSetup, reasons);
        }

        if (aborted)
        {
            reasons.Add("interrupted");
        }

        reasons.AddRange(thresholds.Where(t => !t.Passed).Select(t => $"threshold {t.Threshold} failed ({t.Detail})"));
        if (audit is { Passed: false })
        {
            reasons.Add("audit failed: " + string.Join(", ", audit.Checks.Where(c => c.Status == CheckStatus.Failed).Select(c => c.Name)));
        }

        return new Verdict(reasons.Count == 0, reasons.Count == 0 ? ExitPassed : ExitFailed, reasons);
    }

    private static IProgressSink ChooseProgress(LoadOptions options) =>
        options.Quiet ? new NullProgress()
        : options.Plain || Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive ? new PlainProgress(Console.Out)
        : new LiveProgress();

    private static Func<Uri, string, CancellationToken, Task<WebSocket>> DefaultConnector(HttpMessageHandler handler)
    {
        // WebSockets get their own handler: an upgraded connection must not occupy a slot of the HTTP pool.
        var invoker = new HttpMessageInvoker(handler, disposeHandler: false);
        return async (uri, accessToken, ct) =>
        {
            var socket = new ClientWebSocket();
            socket.Options.KeepAliveInterval = TimeSpan.FromSeconds(30);
            // Not a browser: the token goes in the Authorization header (the host takes no tokens in URLs).
            socket.Options.SetRequestHeader("Authorization", "Bearer " + accessToken);
            try
            {
                await socket.ConnectAsync(uri, invoker, ct);
                return socket;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }
}
