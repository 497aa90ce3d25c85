using System.Globalization;
using FlashSale.Load.Running;
using FlashSale.Load.Thresholds;

namespace FlashSale.Load.Cli;

/// <summary>Turns parsed tokens into <see cref="LoadOptions"/> / <see cref="PrepareOptions"/>, validating as it goes.</summary>
internal static class OptionsBinder
{
    public static LoadOptions BindRun(ArgumentTokens t, IReadOnlyList<string> commandLine)
    {
        if (t.Positionals.Count != 1)
        {
            throw new UsageException("run needs exactly one scenario: run <baseline|browse|purchase-storm|flash-rush> [options]");
        }

        var options = new LoadOptions { CommandLine = commandLine, Scenario = t.Positionals[0] };
        options = BindCommon(t, options);
        if (t.Value("users") is { } users) options = options with { Users = ValueParsers.Count("users", users, 1, 100_000) };
        if (t.Value("rate") is { } rate) options = options with { Rate = ValueParsers.Rate("rate", rate) };
        if (t.Value("ramp") is { } ramp) options = options with { Ramp = ValueParsers.Duration("ramp", ramp) };
        if (t.Value("duration") is { } duration) options = options with { Duration = ValueParsers.Duration("duration", duration) };
        if (t.Value("warmup") is { } warmup) options = options with { Warmup = ValueParsers.Duration("warmup", warmup) };
        if (t.Value("seed") is { } seed) options = options with { Seed = ValueParsers.Count("seed", seed, 0) };
        if (t.Value("max-in-flight") is { } inFlight) options = options with { MaxInFlight = ValueParsers.Count("max-in-flight", inFlight, 1, 100_000) };
        if (t.Value("connections") is { } connections) options = options with { Connections = ValueParsers.Count("connections", connections, 1, 18_000) };
        if (t.Value("out") is { } outDir) options = options with { OutDir = outDir };
        if (t.Value("sale") is { } sale) options = options with { SaleId = Guid.TryParse(sale, out var id) ? id : throw new UsageException($"--sale: '{sale}' is not a sale id") };
        if (t.Value("stock") is { } stock) options = options with { Stock = ValueParsers.Count("stock", stock) };
        if (t.Value("per-user-limit") is { } limit) options = options with { PerUserLimit = ValueParsers.Count("per-user-limit", limit) };
        if (t.Value("quantity") is { } quantity) options = options with { Quantity = ValueParsers.Count("quantity", quantity) };
        if (t.Value("price") is { } price) options = options with { SalePrice = ValueParsers.Money("price", price) };
        if (t.Value("waiting-room") is { } room) options = options with { WaitingRoom = ValueParsers.OnOff("waiting-room", room) };
        if (t.Value("admission-rate") is { } admission) options = options with { AdmissionRatePerSecond = ValueParsers.Count("admission-rate", admission) };
        if (t.Value("admission-window") is { } window) options = options with { AdmissionWindowSeconds = ValueParsers.Count("admission-window", window) };
        if (t.Value("payment-window") is { } payment) options = options with { PaymentWindowSeconds = ValueParsers.Count("payment-window", payment) };
        if (t.Value("start-in") is { } startIn) options = options with { StartIn = ValueParsers.Duration("start-in", startIn) };
        if (t.Value("card") is { } card) options = options with { CardNumber = card };
        if (t.Value("host-pid") is { } pid) options = options with { HostPid = ValueParsers.Count("host-pid", pid) };
        if (t.Value("processes") is { } processes) options = options with { Processes = ValueParsers.Count("processes", processes, 1, 64) };
        if (t.Value("remote-workers") is { } remote) options = options with { RemoteWorkers = ValueParsers.Count("remote-workers", remote, 0, 1000) };
        if (t.Value("redis") is { } redis) options = options with { Redis = redis };
        if (t.Value("redis-prefix") is { } prefix) options = options with { RedisPrefix = prefix };
        if (t.Value("arrival") is { } arrival) options = options with { Arrival = ArrivalShape.Parse(arrival) };
        if (t.Value("abandon") is { } abandon)
        {
            var at = abandon.IndexOf('@', StringComparison.Ordinal);
            options = options with { AbandonFraction = ValueParsers.Fraction("abandon", at < 0 ? abandon : abandon[..at]) };
            if (at >= 0) options = options with { AbandonWithin = ValueParsers.Duration("abandon", abandon[(at + 1)..]) };
        }

        if (t.Value("absent") is { } absent) options = options with { AbsentFraction = ValueParsers.Fraction("absent", absent) };
        if (t.Value("prequeue-seconds") is { } prequeue) options = options with { PrequeueSeconds = ValueParsers.Count("prequeue-seconds", prequeue, 1, 86_400) };
        if (t.Value("challenge-bits") is { } bits) options = options with { ChallengeBits = ValueParsers.Count("challenge-bits", bits, 0, 28) };
        if (t.Value("refreshers") is { } refreshers) options = options with { RefresherFraction = ValueParsers.Fraction("refreshers", refreshers) };
        if (t.Value("watchers") is { } watchers) options = options with { Watchers = ValueParsers.Count("watchers", watchers, 0, 100_000) };
        if (t.Value("bots") is { } bots) options = options with { Bots = ValueParsers.Count("bots", bots, 0, 10_000) };
        if (t.Value("otlp") is { } otlp) options = options with { Otlp = ValueParsers.Endpoint("otlp", otlp) };
        if (t.Value("audit-sample") is { } sample)
        {
            options = options with { AuditSample = sample.Equals("all", StringComparison.OrdinalIgnoreCase) ? null : ValueParsers.Count("audit-sample", sample, 0) };
        }

        options = options with
        {
            Poisson = t.Flag("poisson"),
            WriteReports = !t.Flag("no-report"),
            Audit = !t.Flag("no-audit"),
            Pay = t.Flag("pay"),
            Plain = t.Flag("plain"),
            Quiet = t.Flag("quiet"),
            Thresholds = t.Values("threshold"),
        };

        if (t.Has("users") && t.Has("rate"))
        {
            throw new UsageException("choose one load shape: --users N (closed) or --rate R/s (open)");
        }

        if (options.Arrival is { } shape)
        {
            if (t.Has("rate") || (t.Has("users") && options.Users != shape.Users))
            {
                throw new UsageException($"--arrival {shape} brings its own {shape.Users} users: drop --rate, and --users unless it is the same");
            }

            options = options with { Users = shape.Users };
        }

        if (options.HasCrowd && (options.Scenario != "flash-rush" || options.IsOpenModel))
        {
            throw new UsageException("--abandon, --absent, --refreshers, --watchers and --bots shape a flash-rush of --users shoppers (closed model)");
        }

        if (options.AbandonFraction + options.AbsentFraction + options.RefresherFraction > 1)
        {
            throw new UsageException("--abandon, --absent and --refreshers together cannot exceed 100% of the shoppers");
        }

        if (options.ChallengeBits is > 0 && (options.Scenario != "flash-rush" || options.SaleId is not null || options.WaitingRoom == false))
        {
            throw new UsageException("--challenge-bits sets the join challenge of the sale a flash-rush creates with its line (without --sale; an existing sale's challenge is read from it)");
        }

        if (options.PrequeueSeconds is > 0 && (options.Scenario != "flash-rush" || options.SaleId is not null || options.WaitingRoom == false))
        {
            throw new UsageException("--prequeue-seconds sets the pre-queue of the sale a flash-rush creates with its line (without --sale)");
        }

        if (options.IsCoordinator && options.Redis is null)
        {
            throw new UsageException("--processes and --remote-workers coordinate through Redis: add --redis HOST:PORT");
        }

        if (options.Duration <= TimeSpan.Zero)
        {
            throw new UsageException("--duration must be above zero");
        }

        foreach (var threshold in options.Thresholds)
        {
            _ = ThresholdParser.Parse(threshold); // fail before any load is sent
        }

        return options;
    }

    public static PrepareOptions BindPrepare(ArgumentTokens t)
    {
        var common = BindCommon(t, new LoadOptions());
        var options = new PrepareOptions
        {
            Target = common.Target,
            ShoppersFile = common.ShoppersFile,
            AdminEmail = common.AdminEmail,
            AdminPassword = common.AdminPassword,
        };
        if (t.Value("request-timeout") is { } timeout) options = options with { RequestTimeout = ValueParsers.Duration("request-timeout", timeout) };
        if (t.Value("users") is { } users) options = options with { Users = ValueParsers.Count("users", users, 1, 100_000) };
        return options;
    }

    private static LoadOptions BindCommon(ArgumentTokens t, LoadOptions options)
    {
        if (t.Value("target") is { } target) options = options with { Target = TargetGuard.Parse(target) };
        if (t.Value("shoppers-file") is { } file) options = options with { ShoppersFile = file };
        if (t.Value("admin-email") is { } email) options = options with { AdminEmail = email };
        if (t.Value("admin-password") is { } password) options = options with { AdminPassword = password };
        if (t.Value("request-timeout") is { } timeout) options = options with { RequestTimeout = ValueParsers.Duration("request-timeout", timeout) };
        return options;
    }

    /// <summary>The options as name/value pairs for the reports (the admin password is never written).</summary>
    public static IReadOnlyDictionary<string, string> Describe(LoadOptions o)
    {
        static string I(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        var d = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["scenario"] = o.Scenario,
            ["target"] = o.Target.GetLeftPart(UriPartial.Authority),
            ["model"] = o.IsOpenModel ? "open" : "closed",
            ["ramp"] = I($"{o.Ramp.TotalSeconds}s"),
            ["duration"] = I($"{o.Duration.TotalSeconds}s"),
            ["warmup"] = I($"{o.Warmup.TotalSeconds}s"),
            ["seed"] = I($"{o.Seed}"),
            ["connections"] = I($"{o.Connections}"),
            ["requestTimeout"] = I($"{o.RequestTimeout.TotalSeconds}s"),
            ["thresholds"] = string.Join("; ", o.Thresholds),
        };
        if (o.Arrival is { } arrivalShape)
        {
            d["arrival"] = arrivalShape.ToString();
        }

        if (o.HasCrowd)
        {
            d["abandon"] = I($"{o.AbandonFraction * 100}% within {o.AbandonWithin.TotalSeconds}s");
            d["absent"] = I($"{o.AbsentFraction * 100}%");
            d["refreshers"] = I($"{o.RefresherFraction * 100}%");
            d["watchers"] = I($"{o.Watchers}");
            d["bots"] = I($"{o.Bots}");
        }

        if (o.Otlp is { } otlp)
        {
            d["otlp"] = otlp.GetLeftPart(UriPartial.Path);
        }
        if (!o.IsOpenModel)
        {
            d["users"] = I($"{o.Users}");
        }
        else
        {
            d["rate"] = I($"{o.Rate}/s");
            d["arrivals"] = o.Poisson ? "poisson" : "uniform";
            d["maxInFlight"] = I($"{o.MaxInFlight}");
        }

        if (o.IsCoordinator)
        {
            d["processes"] = I($"{o.Processes}");
            d["remoteWorkers"] = I($"{o.RemoteWorkers}");
        }

        if (o.Scenario is "purchase-storm" or "flash-rush")
        {
            d["sale"] = o.SaleId?.ToString() ?? "created by the run";
            d["stock"] = I($"{o.Stock}");
            d["perUserLimit"] = I($"{o.PerUserLimit}");
            d["quantity"] = I($"{o.Quantity}");
            d["audit"] = o.Audit ? (o.AuditSample is { } n ? I($"sample of {n} orders") : "all orders") : "off";
            d["waitingRoom"] = o.WaitingRoom switch { true => "on", false => "off", null => "scenario default" };
            if (o.ChallengeBits is { } bits)
            {
                d["challengeBits"] = I($"{bits}");
            }

            if (o.PrequeueSeconds is { } prequeue)
            {
                d["prequeueSeconds"] = I($"{prequeue}");
            }
        }

        return d;
    }
}
