using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using FlashSale.Load.Api;
using FlashSale.Load.Realtime;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// The rush the product exists for: each shopper (prepared token) opens a WebSocket and subscribes, joins the
/// line when the sale has one, waits for admission (queue frames; polling queue/me only as the host's
/// <c>pollAfterMs</c> says: never while the socket follows the sale), buys once and pays. Every step the host does
/// not offer is skipped, once, with a note in the report.
/// <para>
/// Besides each request's latency it records <c>admitted-to-answer</c> (from the moment the shopper learnt it was
/// admitted, or the sale opened, to the purchase's answer: the wait a shopper feels) and <c>sold-out-told</c> (for
/// every shopper still in line when the stock ran out, from the last 201 the tool had seen to that shopper being
/// told "sold out").
/// </para>
/// </summary>
internal sealed class FlashRushScenario : IScenario
{
    private static readonly Outcome RunEnded = new("run-ended", OutcomeKind.Timeout);
    private static readonly Outcome SoldOutInLine = Outcome.Refused("sold-out");

    private readonly ConcurrentBag<SaleSocket> _sockets = [];
    private ScenarioContext? _context;
    private SaleDto? _sale;
    private SaleFeed? _feed;
    private StepStats? _connect;
    private StepStats? _join;
    private StepStats? _admission;
    private StepStats? _poll;
    private StepStats? _purchase;
    private StepStats? _pay;
    private StepStats? _admittedToAnswer;
    private StepStats? _soldOutTold;
    private StepStats? _etaQuoted;
    private StepStats? _drawWait;
    private DrawCheck? _draw;
    private JoinChallengeSolver? _challenge;
    private long _lastUnitAt;
    private HostProbe? _host;
    private HostProbe? _self;
    private RushCrowd? _crowd;
    private volatile bool _socketsOn = true;
    private volatile bool _queueOn = true;
    private volatile bool _payOn = true;
    private readonly Lock _lineGate = new();
    private Task? _lineOff;

    public string Name => "flash-rush";

    public string Description => "10,000 shoppers: WebSocket + subscribe, join the line, wait for admission, buy, pay";

    public int DefaultUsers => 10_000;

    public bool NeedsShoppers => true;

    public bool OneSessionPerShopper => true;

    public bool IsPurchase => true;

    public string EntryStep => "ws-connect";

    /// <summary>The shared feed, for the report's WebSocket figures.</summary>
    public SaleFeed? Feed => _feed;

    public async Task InitAsync(ScenarioContext context, CancellationToken ct)
    {
        _context = context;
        var o = context.Options;
        var limit = o.PerUserLimit > 0 ? o.PerUserLimit : 1;
        _sale = await SaleSetup.EnsureAsync(context, limit, o.WaitingRoom ?? true, o.StartIn ?? TimeSpan.FromSeconds(5), ct);
        context.Sale = _sale;
        _connect = context.Stats.Step("ws-connect");
        _join = context.Stats.Step("queue-join");
        _admission = context.Stats.Step("admission-wait");
        _poll = context.Stats.Step("queue-poll");
        _purchase = context.Stats.Step("purchase");
        _pay = context.Stats.Step("pay");
        _admittedToAnswer = context.Stats.Step("admitted-to-answer", isRequest: false);
        _soldOutTold = context.Stats.Step("sold-out-told", isRequest: false);
        _feed = new SaleFeed(_sale.Id, context.Stats.Step("event-lag", isRequest: false), context.Stats.Step("snapshot-age", isRequest: false));
        _challenge = new JoinChallengeSolver(context, _sale);
        if (o.PrequeueSeconds is > 0)
        {
            // From the pre-queue entry to the drawn ticket (mostly the time until the start).
            _drawWait = context.Stats.Step("draw-wait", isRequest: false);
            _draw = new DrawCheck();
        }
        // With absent shoppers the ETA a join quotes is worth comparing with the admission-wait it came true as.
        _etaQuoted = o.AbsentFraction > 0 ? context.Stats.Step("eta-quoted", isRequest: false) : null;
        if (_sale.WaitingRoom == false)
        {
            _queueOn = false;
            context.Notes.Add("the sale has no waiting room: shoppers buy without joining a line");
        }

        await ProbeWebSocketAsync(ct);
        if (!o.IsCoordinator)
        {
            // The shoppers' pages were loaded before the sale, so their browsers hold open connections: so does the
            // pool their requests share, or the first joins would also pay for up to 1,024 connects in the connect
            // storm. (A coordinator sends no shopper's request.)
            await context.OpenConnectionsAsync(ct);
            context.Notes.Add($"the HTTP pool's {o.Connections} connections were opened before the rush (shoppers' pages hold theirs from loading the page)");
        }
        _crowd = RushCrowd.Create(context, _sale, _feed, _challenge);
        if (o.HostPid is { } pid)
        {
            _host = HostProbe.Start(pid);
            // The tool shares the machine with the host: what it used itself is the other half of the picture.
            _self = HostProbe.Start(Environment.ProcessId, "load tool");
            if (_host is null)
            {
                context.Notes.Add($"--host-pid {pid}: the process cannot be read from /proc; host memory and CPU not reported");
            }
        }
    }

    /// <summary>
    /// One WebSocket before the rush: a host without /ws is found out once, not by 10,000 failed upgrades at once
    /// (each of which holds a connection of the host for a while).
    /// </summary>
    private async Task ProbeWebSocketAsync(CancellationToken ct)
    {
        var context = _context!;
        if (context.Shoppers.Count == 0)
        {
            return;
        }

        try
        {
            var probe = await context.ConnectWebSocket(SaleSocket.UriFor(context.Api.BaseAddress), context.Shoppers[0].AccessToken, ct);
            probe.Abort();
            probe.Dispose();
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && (ex is WebSocketException { WebSocketErrorCode: WebSocketError.NotAWebSocket or WebSocketError.UnsupportedProtocol } or NotSupportedException))
        {
            _socketsOn = false;
            context.Notes.Add($"WebSockets skipped: the host refused the upgrade at /ws ({ex.Message})");
        }
        catch (Exception ex) when (!ct.IsCancellationRequested && ex is WebSocketException or HttpRequestException or InvalidOperationException)
        {
            // Anything else (a transient failure) is left to the shoppers' own attempts, which record it.
        }
    }

    /// <summary>
    /// The host has no line: when this run created the sale with a waiting room, switch it off (admin PATCH) so
    /// the shoppers' purchases are not refused as not admitted. Once per run; every shopper awaits the same call.
    /// </summary>
    private Task TurnLineOffAsync(CancellationToken ct)
    {
        lock (_lineGate)
        {
            return _lineOff ??= TurnLineOffCoreAsync(ct);
        }
    }

    private async Task TurnLineOffCoreAsync(CancellationToken ct)
    {
        var context = _context!;
        if (_sale!.WaitingRoom != true || context.Options.SaleId is not null)
        {
            return;
        }

        var admin = await context.AdminTokenAsync(ct);
        var changed = await context.Api.UpdateSaleAsync(admin, _sale.Id, new UpdateSaleRequest(false), ct);
        context.Notes.Add(changed.IsOk
            ? "the run's sale was switched to no waiting room, as the host has no line"
            : $"switching the run's sale to no waiting room failed (HTTP {changed.Status} {changed.Outcome.Name}): expect not-admitted refusals");
    }

    public async Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct)
    {
        var context = _context!;
        var socket = _socketsOn ? await ConnectAsync(user, ct) : null;
        if (context.Stopping.IsCancellationRequested)
        {
            return IterationResult.Done;
        }

        if (_queueOn)
        {
            var admission = await QueueAsync(user, socket, ct);
            if (admission is Admission.SoldOut or null)
            {
                return IterationResult.Done;
            }
        }
        else if (!await WaitForOpeningAsync(context.Stopping))
        {
            return IterationResult.Done;
        }

        var admittedAt = Stopwatch.GetTimestamp();
        var start = user.BeginStep();
        var answer = await context.Api.PurchaseAsync(user.Token, _sale!.Id, context.Options.Quantity, Guid.NewGuid().ToString("N"), ct);
        _purchase!.Record(answer.Outcome, start);
        _admittedToAnswer!.Record(answer.Outcome, admittedAt);
        if (answer.IsOk)
        {
            var now = Stopwatch.GetTimestamp();
            long last;
            while (now > (last = Interlocked.Read(ref _lastUnitAt)) && Interlocked.CompareExchange(ref _lastUnitAt, now, last) != last)
            {
            }
        }
        if (!answer.IsOk || answer.Value is not { } order)
        {
            if (answer.Outcome.Name == "sold-out")
            {
                // Sold out is final for the rush: release whoever still waits even if no socket said so.
                _feed!.Gate.Close(Admission.SoldOut);
            }

            return IterationResult.Done;
        }

        context.Ledger.Add(user.ShopperIndex, user.Shopper!.Id, order);
        if (_payOn && !context.Stopping.IsCancellationRequested)
        {
            start = user.BeginStep();
            var paid = await context.Api.PayAsync(user.Token, order.Id, context.Options.CardNumber, ct);
            if (OutcomeClassifier.IsMissingRoute(paid.Status))
            {
                _payOn = false;
                context.Notes.Add("the host has no pay endpoint: orders stay reserved");
            }
            else
            {
                _pay!.Record(paid.Outcome, start);
            }
        }

        return IterationResult.Done;
    }

    private async Task<SaleSocket?> ConnectAsync(VirtualUser user, CancellationToken ct)
    {
        var context = _context!;
        var start = user.BeginStep();
        try
        {
            var socket = await SaleSocket.ConnectAsync(context.ConnectWebSocket, SaleSocket.UriFor(context.Api.BaseAddress), user.Token, _sale!.Id, _feed!, ct);
            _sockets.Add(socket);
            _connect!.Record(Outcome.Ok, start);
            return socket;
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            if (ex is WebSocketException { WebSocketErrorCode: WebSocketError.NotAWebSocket or WebSocketError.UnsupportedProtocol } || ex is NotSupportedException)
            {
                // The host answered but does not speak WebSocket at /ws: skip sockets for everyone.
                _socketsOn = false;
                context.Notes.Add($"WebSockets skipped: the host refused the upgrade at /ws ({ex.Message})");
                return null;
            }

            _connect!.Record(OutcomeClassifier.FromException(ex), start);
            return null;
        }
    }

    /// <summary>Joins the line and waits for admission. Null when the run ended first or the join failed.</summary>
    private async Task<Admission?> QueueAsync(VirtualUser user, SaleSocket? socket, CancellationToken ct)
    {
        var context = _context!;
        if (socket is not null)
        {
            // As a page does: the sale is on screen (the subscription's first frame) before the shopper joins, so the
            // host knows the socket follows the sale and answers "don't poll".
            await Task.WhenAny(socket.FirstFrame, socket.Closed, Task.Delay(TimeSpan.FromSeconds(2), context.Stopping));
        }

        var nonce = await _challenge!.SolveAsync(user.Shopper!.Id, ct);
        var start = user.BeginStep();
        var join = await context.Api.JoinQueueAsync(user.Token, _sale!.Id, nonce, ct);
        if (!join.IsOk && join.Status is 400 or 404 or 405 or 409)
        {
            // No line here (an older host, or a sale without a waiting room): buy directly.
            _queueOn = false;
            context.Notes.Add($"no waiting room (queue join answered {join.Status} {join.Outcome.Name}): shoppers buy directly");
            if (OutcomeClassifier.IsMissingRoute(join.Status))
            {
                await TurnLineOffAsync(ct);
            }

            return await WaitForOpeningAsync(context.Stopping) ? Admission.Admitted : null;
        }

        _join!.Record(join.Outcome, start);
        if (!join.IsOk || join.Value is not { } status)
        {
            return null;
        }

        if (status.Prequeue)
        {
            _draw?.Entered();
            start = user.BeginStep();
            while (status.Prequeue)
            {
                // An entrant has no ticket to follow until the draw at the start: ask when told (or every second).
                try
                {
                    await Task.Delay(PollInterval(status.PollAfterMs), context.Stopping);
                }
                catch (OperationCanceledException)
                {
                    _drawWait?.Record(RunEnded, start);
                    return null;
                }

                var asked = user.BeginStep();
                var again = await context.Api.QueueStatusAsync(user.Token, _sale!.Id, ct);
                _poll!.Record(again.Outcome, asked);
                if (again.IsOk && again.Value is { } next)
                {
                    status = next;
                }
            }

            _drawWait?.Record(Outcome.Ok, start);
        }
        else
        {
            _draw?.Late();
        }

        if (status.DrawReceipt is { } receipt)
        {
            _draw?.Drawn(receipt);
        }

        var gate = _feed!.Gate;
        gate.Advance(status.AdmittedThrough);
        if (status.EtaSeconds is { } eta && !status.Admitted)
        {
            _etaQuoted?.RecordMicros(Outcome.Ok, (long)(eta * 1_000_000));
        }
        start = user.BeginStep();
        if (status.Admitted)
        {
            _admission!.Record(Outcome.Ok, start);
            return Admission.Admitted;
        }

        var waiting = gate.WaitAsync(status.Ticket);
        var leaving = _crowd?.InLine(user, waiting);
        var pollAfter = status.PollAfterMs;
        while (!waiting.IsCompleted)
        {
            // The host's pollAfterMs decides: null while this socket follows the sale (its frames carry the line), so
            // no polling until the socket closes; otherwise ask again when told.
            var following = pollAfter is null && socket is not null && !socket.Closed.IsCompleted;
            var wake = following
                ? Task.WhenAny(socket!.Closed, Task.Delay(Timeout.InfiniteTimeSpan, context.Stopping))
                : Task.Delay(PollInterval(pollAfter), context.Stopping);
            try
            {
                await Task.WhenAny(waiting, wake, leaving ?? waiting);
            }
            catch (OperationCanceledException)
            {
            }

            if (waiting.IsCompleted)
            {
                break;
            }

            if (leaving is { IsCompleted: true } && !context.Stopping.IsCancellationRequested)
            {
                await _crowd!.LeftAsync(user, start, socket);
                return null;
            }

            if (context.Stopping.IsCancellationRequested)
            {
                _admission!.Record(RunEnded, start);
                return null;
            }

            var pollStart = user.BeginStep();
            var poll = await context.Api.QueueStatusAsync(user.Token, _sale.Id, ct);
            _poll!.Record(poll.Outcome, pollStart);
            if (poll.IsOk && poll.Value is { } now)
            {
                gate.Advance(now.AdmittedThrough);
                pollAfter = now.PollAfterMs;
                if (now.Admitted)
                {
                    _admission!.Record(Outcome.Ok, start);
                    return Admission.Admitted;
                }
            }
        }

        var admission = await waiting;
        _admission!.Record(admission == Admission.Admitted ? Outcome.Ok : SoldOutInLine, start);
        if (admission == Admission.SoldOut)
        {
            // Recorded now, while the run's figures are still being collected (a figure recorded once the load
            // phase ended never reaches the report), from the last 201 seen so far; a 201 that arrives later was
            // answered after this shopper was told: 0.
            var told = Stopwatch.GetTimestamp();
            var lastUnit = Interlocked.Read(ref _lastUnitAt);
            _soldOutTold!.RecordMicros(Outcome.Ok, lastUnit != 0 && told > lastUnit ? LatencyHistograms.MicrosBetween(lastUnit, told) : 0);
        }

        return admission;
    }

    /// <summary>Without a line, shoppers wait for the sale to open; false when the run ended first.</summary>
    private async Task<bool> WaitForOpeningAsync(CancellationToken stopping)
    {
        var wait = _sale!.StartsAt - DateTimeOffset.UtcNow;
        if (wait <= TimeSpan.Zero)
        {
            return true;
        }

        try
        {
            await Task.Delay(wait, stopping);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan PollInterval(int? pollAfterMs) => TimeSpan.FromMilliseconds(Math.Clamp(pollAfterMs ?? 1000, 250, 5000));

    public async Task CleanupAsync(CancellationToken ct)
    {
        if (_draw is not null && _sale is not null)
        {
            _context!.Notes.Add(await _draw.ReportAsync(_context.Api, _sale, ct));
        }

        if (_crowd is not null)
        {
            await _crowd.StopAsync();
        }

        foreach (var probe in new[] { _host, _self })
        {
            if (probe is not null)
            {
                _context!.Notes.Add(await probe.StopAsync());
                await probe.DisposeAsync();
            }
        }
        _host = _self = null;

        var closing = new List<Task>();
        while (_sockets.TryTake(out var socket))
        {
            closing.Add(socket.DisposeAsync().AsTask());
        }

        await Task.WhenAll(closing).WaitAsync(TimeSpan.FromSeconds(10), ct);
    }
}
