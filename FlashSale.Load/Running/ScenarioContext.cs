using System.Net.WebSockets;
using FlashSale.Load.Api;
using FlashSale.Load.Audit;
using FlashSale.Load.Cli;
using FlashSale.Load.Shoppers;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Running;

/// <summary>What a scenario can reach during a run. One per run, shared by every user.</summary>
internal sealed class ScenarioContext(
    LoadOptions options,
    FlashSaleApi api,
    StatsCollector stats,
    TextWriter log,
    Func<Uri, string, CancellationToken, Task<WebSocket>> connectWebSocket,
    CancellationToken stopping)
{
    private readonly Lock _adminLock = new();
    private Task<string>? _adminLogin;

    public LoadOptions Options { get; } = options;

    public FlashSaleApi Api { get; } = api;

    public StatsCollector Stats { get; } = stats;

    public TextWriter Log { get; } = log;

    public RunNotes Notes { get; } = new();

    public PurchaseLedger Ledger { get; } = new();

    /// <summary>Cancelled when the measured window closes: start no new step after it.</summary>
    public CancellationToken Stopping { get; } = stopping;

    public Func<Uri, string, CancellationToken, Task<WebSocket>> ConnectWebSocket { get; } = connectWebSocket;

    /// <summary>
    /// Opens the run's HTTP connections before its crowd arrives (see <see cref="HttpPoolWait.OpenConnectionsAsync"/>);
    /// set by the runner, a no-op in runs given their own handler.
    /// </summary>
    public Func<CancellationToken, Task> OpenConnectionsAsync { get; set; } = static _ => Task.CompletedTask;

    /// <summary>The prepared shoppers (empty for scenarios that need none).</summary>
    public IReadOnlyList<ShopperToken> Shoppers { get; set; } = [];

    /// <summary>Purchases accepted out of turn in the line, when the run watched for them (flash-rush bots); null otherwise.</summary>
    public long? LineInversions { get; set; }

    /// <summary>The sale the purchase scenarios drive (for the audit).</summary>
    public SaleDto? Sale { get; set; }

    /// <summary>Signs the admin in once per run; every caller shares the one sign-in.</summary>
    public Task<string> AdminTokenAsync(CancellationToken ct)
    {
        lock (_adminLock)
        {
            return _adminLogin ??= LoginAdminAsync(ct);
        }
    }

    private async Task<string> LoginAdminAsync(CancellationToken ct)
    {
        var login = await Api.LoginAsync(Options.AdminEmail, Options.AdminPassword, ct);
        return login.IsOk && login.Value is not null
            ? login.Value.AccessToken
            : throw new SetupException($"admin sign-in as {Options.AdminEmail} failed: {ShopperPreparer.Describe(login.Status, login.Outcome.Name, login.Detail)} (use --admin-email/--admin-password)");
    }
}
