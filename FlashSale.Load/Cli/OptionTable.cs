namespace FlashSale.Load.Cli;

/// <summary>Every option of every verb, with the one-line help the usage text prints.</summary>
internal static class OptionTable
{
    public static readonly OptionSpec[] Common =
    [
        new("target", true, "base URL of the host (default http://127.0.0.1:5000; loopback unless you name another)"),
        new("shoppers-file", true, "where prepared shopper tokens live (default .load/shoppers.json)"),
        new("admin-email", true, "admin account for setup and audit (default admin@flashsale.local)"),
        new("admin-password", true, "admin password (default FlashSale-Admin-2026)"),
        new("request-timeout", true, "per-request timeout (default 30s)"),
        new("help", false, "show this help"),
    ];

    public static readonly OptionSpec[] Run =
    [
        .. Common,
        new("users", true, "closed model: concurrent virtual users (scenario default)"),
        new("rate", true, "open model: arrivals per second, e.g. 2000/s (latency counted from the intended send time)"),
        new("ramp", true, "ramp users or rate up from zero over this time (e.g. 10s)"),
        new("duration", true, "measured duration (default 30s)"),
        new("warmup", true, "warm-up before the measured window, excluded from statistics (default 0)"),
        new("seed", true, "random seed (default: random, recorded in the report)"),
        new("poisson", false, "open model: Poisson arrivals instead of evenly spaced"),
        new("max-in-flight", true, "open model: arrivals in flight at most (default 5000)"),
        new("connections", true, "HTTP connections in the shared pool (default min(load, 1024))"),
        new("out", true, "report directory (default load-reports/<timestamp>-<scenario>)"),
        new("no-report", false, "write no report files"),
        new("threshold", true, "pass/fail rule, repeatable: \"purchase.p99<50ms\", \"errors<0.1%\", \"rps>1000\"", Repeatable: true),
        new("sale", true, "use this existing sale id instead of creating one"),
        new("stock", true, "stock of the sale the run creates (default 1000)"),
        new("per-user-limit", true, "per-user limit of the created sale (default 2; flash-rush 1)"),
        new("quantity", true, "units per purchase (default 1)"),
        new("price", true, "sale price of the created sale (default 9.99)"),
        new("waiting-room", true, "on|off: created sale uses the waiting room (flash-rush default on)"),
        new("admission-rate", true, "waiting room admissions per second (default 500)"),
        new("admission-window", true, "seconds an admitted shopper may take to buy"),
        new("payment-window", true, "seconds a reservation waits for payment"),
        new("start-in", true, "flash-rush: the created sale opens this long after setup (default 5s)"),
        new("card", true, "card number for pay (default 4242424242424242)"),
        new("pay", false, "purchase-storm: pay each reserved order right after it (step pay; with --rate R/s that is R payments a second)"),
        new("host-pid", true, "flash-rush: a host process on this machine; the report states its RSS and CPU during the run"),
        new("no-audit", false, "skip the correctness audit"),
        new("audit-sample", true, "orders to read back in the audit: a number or 'all' (default all)"),
        new("plain", false, "plain progress lines instead of the live display"),
        new("quiet", false, "no progress output, only the summary"),
        new("processes", true, "spread the load over N local worker processes (each has its own 20,000 open files); needs --redis"),
        new("remote-workers", true, "also wait for N workers started elsewhere with 'worker --redis …' (default 0)"),
        new("redis", true, "Redis the run's processes coordinate through (StackExchange.Redis syntax, e.g. 127.0.0.1:6379,defaultDatabase=3)"),
        new("redis-prefix", true, "prefix of the run's Redis keys (default flashsale-load)"),
        new("arrival", true, "closed model: when the users arrive: spike:10000@1s, ramp:10000@30s, steps:10000@10s/5 (sets --users)"),
        new("abandon", true, "flash-rush: share of shoppers who leave the line after a random wait, e.g. 20% or 20%@10s (default within 10s)"),
        new("absent", true, "flash-rush: share of shoppers who join and then close their page and stop polling, e.g. 30% (the line should skip them)"),
        new("prequeue-seconds", true, "flash-rush: the created sale's pre-queue: shoppers who join up to N s before the start are drawn fairly at it (use with --start-in)"),
        new("challenge-bits", true, "flash-rush: the created sale's join challenge, 0-28 bits of proof of work each shopper solves before joining"),
        new("refreshers", true, "flash-rush: share of shoppers who poll queue/me every 250 ms and reload their page every second while in line, e.g. 5%"),
        new("watchers", true, "flash-rush: N extra sockets that watch the sale and never buy"),
        new("bots", true, "flash-rush: N extra accounts that join and hammer the purchase before admission (line inversions are audited)"),
        new("otlp", true, "push live figures as OpenTelemetry metrics: http://collector:4318 (OTLP/HTTP) or :4317 (gRPC)"),
    ];

    public static readonly OptionSpec[] Worker =
    [
        new("redis", true, "the Redis the coordinating run uses (required)"),
        new("redis-prefix", true, "the run's key prefix (default flashsale-load)"),
        new("run", true, "join this run id (local workers); default: the next run announced under the prefix"),
        new("name", true, "this worker's name in the report (default <machine>-<pid>)"),
        new("target", true, "load this address instead of the run's (required when the run's target is not loopback)"),
        new("help", false, "show this help"),
    ];

    public static readonly OptionSpec[] Compare =
    [
        new("fail-if", true, "exit 1 when B is worse: \"purchase.p99 > +10%\", \"purchase.rps < -5%\" (beyond noise only), \"audit.changed\", \"audit.failed\"", Repeatable: true),
        new("alpha", true, "significance level of the noise test (default 0.05)"),
        new("out", true, "also write compare.md and compare.html into this directory"),
        new("quiet", false, "do not print the Markdown to standard output"),
        new("help", false, "show this help"),
    ];

    public static readonly OptionSpec[] Prepare =
    [
        .. Common,
        new("users", true, "shoppers to create (default 10000)"),
    ];
}
