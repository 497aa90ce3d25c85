namespace FlashSale.Load.Cli;

/// <summary>
/// Everything a run needs. Built by <see cref="OptionsBinder"/> from the command line, or directly by a test
/// (init-only, defaults are the CLI's defaults). Zero/null means "the scenario's default".
/// </summary>
internal sealed record LoadOptions
{
    public string Scenario { get; init; } = "baseline";

    public Uri Target { get; init; } = TargetGuard.DefaultTarget;

    /// <summary>Closed model: concurrent virtual users. 0 = scenario default.</summary>
    public int Users { get; init; }

    /// <summary>Open model when set: arrivals per second (reached after <see cref="Ramp"/>).</summary>
    public double? Rate { get; init; }

    public TimeSpan Ramp { get; init; }

    /// <summary>The measured window; the run lasts warm-up + duration (+ a short drain).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public TimeSpan Warmup { get; init; }

    /// <summary>Seeds every random choice (shopper order, sale picked, Poisson gaps) so a run can be repeated.</summary>
    public int Seed { get; init; } = Environment.TickCount & 0x7fffffff;

    public bool Poisson { get; init; }

    public string? OutDir { get; init; }

    public bool WriteReports { get; init; } = true;

    public IReadOnlyList<string> Thresholds { get; init; } = [];

    public Guid? SaleId { get; init; }

    public int Stock { get; init; } = 1000;

    /// <summary>0 = scenario default (2 for purchase-storm, 1 for flash-rush).</summary>
    public int PerUserLimit { get; init; }

    public int Quantity { get; init; } = 1;

    public decimal SalePrice { get; init; } = 9.99m;

    /// <summary>null = scenario default (flash-rush: on, purchase-storm: off).</summary>
    public bool? WaitingRoom { get; init; }

    public int AdmissionRatePerSecond { get; init; } = 500;

    public int? AdmissionWindowSeconds { get; init; }

    public int? PaymentWindowSeconds { get; init; }

    /// <summary>flash-rush: the sale opens this long after setup, so sockets and the line form first.</summary>
    public TimeSpan? StartIn { get; init; }

    /// <summary>HTTP connections in the shared pool. 0 = sized to the load (at most 1,024).</summary>
    public int Connections { get; init; }

    /// <summary>Open model: arrivals allowed in flight at once; later ones wait (and their wait is measured).</summary>
    public int MaxInFlight { get; init; } = 5000;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public string ShoppersFile { get; init; } = Path.Combine(".load", "shoppers.json");

    public string AdminEmail { get; init; } = "admin@flashsale.local";

    public string AdminPassword { get; init; } = "FlashSale-Admin-2026";

    public bool Audit { get; init; } = true;

    /// <summary>Orders to read back in the audit; null = every one.</summary>
    public int? AuditSample { get; init; }

    public string CardNumber { get; init; } = "4242424242424242";

    /// <summary>purchase-storm: each reserved order is paid right after its 201 (the pay step; with --rate R/s, R payments a second).</summary>
    public bool Pay { get; init; }

    /// <summary>flash-rush: a host process on this machine whose memory and CPU the report states.</summary>
    public int? HostPid { get; init; }

    /// <summary>Plain progress lines instead of the live display (also automatic when output is redirected).</summary>
    public bool Plain { get; init; }

    public bool Quiet { get; init; }

    /// <summary>The command line as typed, for the report.</summary>
    public IReadOnlyList<string> CommandLine { get; init; } = [];

    /// <summary>Local worker processes the load is spread over; 1 = this process alone (see Distributed/Coordinator).</summary>
    public int Processes { get; init; } = 1;

    /// <summary>Workers started elsewhere (<c>worker --redis …</c>) the run waits for, besides the local ones.</summary>
    public int RemoteWorkers { get; init; }

    /// <summary>StackExchange.Redis configuration of the Redis the processes of a run coordinate through.</summary>
    public string? Redis { get; init; }

    /// <summary>Prefix of the run's Redis keys, so runs (and tests) sharing a Redis keep apart.</summary>
    public string RedisPrefix { get; init; } = "flashsale-load";

    /// <summary>Set in a worker's share of a multi-process run: which worker this is (0-based).</summary>
    public int? WorkerIndex { get; init; }

    /// <summary>Closed model: when each user arrives (spike, ramp or steps); null = linear over <see cref="Ramp"/>.</summary>
    public Running.ArrivalShape? Arrival { get; init; }

    /// <summary>flash-rush: share of the shoppers who leave the line after a random wait within <see cref="AbandonWithin"/>.</summary>
    public double AbandonFraction { get; init; }

    public TimeSpan AbandonWithin { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// flash-rush: share of the shoppers who join and at once close their page (socket closed, no polling) and never
    /// come back: the host should find them absent and skip their places, and the ETA should fall accordingly.
    /// </summary>
    public double AbsentFraction { get; init; }

    /// <summary>flash-rush: the created sale asks each join for a proof of work of this many bits (null = none sent).</summary>
    public int? ChallengeBits { get; init; }

    /// <summary>
    /// flash-rush: the created sale's pre-queue (seconds before the start): shoppers who arrive before the start enter
    /// it and are drawn in a fair random order at the start; the run verifies every receipt against the published seed.
    /// </summary>
    public int? PrequeueSeconds { get; init; }

    /// <summary>flash-rush: share of the shoppers who poll and reload as fast as allowed while in line.</summary>
    public double RefresherFraction { get; init; }

    /// <summary>flash-rush: sockets that watch the sale and never buy (accounts after the buyers').</summary>
    public int Watchers { get; init; }

    /// <summary>flash-rush: accounts that join and hammer the purchase before admission.</summary>
    public int Bots { get; init; }

    /// <summary>Where the live figures go as OpenTelemetry metrics (OTLP), null = nowhere.</summary>
    public Uri? Otlp { get; init; }

    public bool IsOpenModel => Rate is > 0;

    /// <summary>flash-rush: the run asked for shoppers besides those who wait their turn (see Scenarios/RushCrowd).</summary>
    public bool HasCrowd => AbandonFraction > 0 || AbsentFraction > 0 || RefresherFraction > 0 || Watchers > 0 || Bots > 0;

    /// <summary>This process coordinates workers instead of sending load itself.</summary>
    public bool IsCoordinator => Processes > 1 || RemoteWorkers > 0;

    /// <summary>Processes the load is spread over (1 for a single-process run).</summary>
    public int WorkerCount => IsCoordinator ? (Processes > 1 ? Processes : 0) + RemoteWorkers : 1;
}
