using System.Collections.Concurrent;
using FlashSale.Load.Realtime;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// Screens left open: every shopper opens a WebSocket, subscribes to one sale and stays connected for the whole
/// run, while one buyer changes the stock once a second. It measures what the design's WebSocket target is about —
/// N open sockets held by one host and the lag of a stock change reaching all of them — without a purchase storm
/// competing for the same cores. Watch the host's memory from outside (e.g. VmRSS in /proc/PID/status).
/// </summary>
internal sealed class SocketsScenario : IScenario
{
    private static readonly TimeSpan ChangeEvery = TimeSpan.FromSeconds(1);
    private readonly ConcurrentBag<SaleSocket> _sockets = [];
    private ScenarioContext? _context;
    private SaleFeed? _feed;
    private StepStats? _connect;
    private StepStats? _change;
    private Guid _saleId;
    private Task _changes = Task.CompletedTask;

    public string Name => "sockets";

    public string Description => "N open WebSockets subscribed to one sale; one purchase a second; event lag to all";

    public int DefaultUsers => 10_000;

    public bool NeedsShoppers => true;

    public bool OneSessionPerShopper => true;

    public bool IsPurchase => false;

    public string EntryStep => "ws-connect";

    public async Task InitAsync(ScenarioContext context, CancellationToken ct)
    {
        _context = context;
        var sale = await SaleSetup.EnsureAsync(context, perUserLimit: 1_000, waitingRoom: false, startIn: TimeSpan.Zero, ct);
        context.Sale = sale;
        _saleId = sale.Id;
        _connect = context.Stats.Step(EntryStep);
        _change = context.Stats.Step("stock-change");
        _feed = new SaleFeed(sale.Id, context.Stats.Step("event-lag", isRequest: false), context.Stats.Step("snapshot-age", isRequest: false));
        if (context.Shoppers.Count == 0)
        {
            throw new SetupException("the sockets scenario needs prepared shoppers");
        }

        // One stock change a second for the whole run: in a multi-process run only the first worker makes them.
        if (!context.Options.IsCoordinator && context.Options.WorkerIndex is null or 0)
        {
            _changes = ChangeStockAsync(context.Shoppers[0].AccessToken);
        }
    }

    public async Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct)
    {
        var context = _context!;
        var start = user.BeginStep();
        try
        {
            var socket = await SaleSocket.ConnectAsync(context.ConnectWebSocket, SaleSocket.UriFor(context.Api.BaseAddress), user.Token, _saleId, _feed!, ct);
            _sockets.Add(socket);
            _connect!.Record(Outcome.Ok, start);
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            _connect!.Record(Api.OutcomeClassifier.FromException(ex), start);
            return IterationResult.Done;
        }

        try
        {
            // The screen stays open until the run ends; the socket's own loop records every frame's lag.
            await Task.Delay(Timeout.Infinite, context.Stopping);
        }
        catch (OperationCanceledException)
        {
        }

        return IterationResult.Done;
    }

    private async Task ChangeStockAsync(string buyerToken)
    {
        var context = _context!;
        using var timer = new PeriodicTimer(ChangeEvery);
        try
        {
            while (await timer.WaitForNextTickAsync(context.Stopping))
            {
                var start = System.Diagnostics.Stopwatch.GetTimestamp();
                var answer = await context.Api.PurchaseAsync(buyerToken, _saleId, 1, Guid.NewGuid().ToString("N"), context.Stopping);
                _change!.Record(answer.Outcome, start);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async Task CleanupAsync(CancellationToken ct)
    {
        await _changes;
        var closing = new List<Task>();
        while (_sockets.TryTake(out var socket))
        {
            closing.Add(socket.DisposeAsync().AsTask());
        }

        await Task.WhenAll(closing).WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
