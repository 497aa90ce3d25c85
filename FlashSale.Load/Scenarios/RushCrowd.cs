using System.Collections.Concurrent;
using System.Diagnostics;
using FlashSale.Load.Api;
using FlashSale.Load.Realtime;
using FlashSale.Load.Running;
using FlashSale.Load.Stats;

namespace FlashSale.Load.Scenarios;

/// <summary>
/// The people of a real rush besides the shoppers who wait their turn, for flash-rush (<c>--abandon</c>,
/// <c>--absent</c>, <c>--refreshers</c>, <c>--watchers</c>, <c>--bots</c>). Each kind records into steps of its own, so the report
/// counts them apart and the shoppers' own figures stay clean:
/// <list type="bullet">
/// <item>abandoners leave the line after a random wait (within <c>--abandon 20%@10s</c>) and close their page:
/// step <c>abandon</c> (time in line before leaving);</item>
/// <item>absent shoppers join and at once close their page and stop polling, never to come back: step <c>absent</c>.
/// The host should find them absent after its presence timeout and skip their places; the line's own figures
/// (<c>queue/stats</c>, sampled every second while abandoners or absent shoppers are in the run) go to the notes:
/// absent and abandoned places, tickets passed without admission, and the ETA of the last ticket;</item>
/// <item>refreshers poll <c>queue/me</c> every 250 ms whatever the host says and reload their page (a new socket)
/// every second while in line: steps <c>refresh-poll</c> and <c>refresh-connect</c>;</item>
/// <item>watchers open the sale's page and never buy: <c>watch-connect</c>, their frames' lag in <c>watch-event-lag</c>;</item>
/// <item>bots join from accounts of their own and hammer the purchase (every 50 ms) without waiting for admission:
/// <c>bot-join</c>, <c>bot-purchase</c>. A 201 a bot gets while its ticket is still beyond the line's admitted-through
/// counter is a line inversion, which the audit counts and fails.</item>
/// </list>
/// Roles are dealt from the run's seed, so a run repeats. Watchers and bots use the prepared shoppers after the
/// buyers'.
/// </summary>
internal sealed class RushCrowd
{
    private static readonly TimeSpan RefreshPollEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ReloadEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan BotEvery = TimeSpan.FromMilliseconds(50);
    private static readonly Outcome LeftLine = Outcome.Refused("left-line");
    private static readonly Outcome WentAway = Outcome.Refused("went-away");
    private static readonly TimeSpan LineSampleEvery = TimeSpan.FromSeconds(1);

    private readonly ScenarioContext _context;
    private readonly SaleDto _sale;
    private readonly SaleFeed _feed;
    private readonly Role[] _roles;
    private readonly ConcurrentBag<SaleSocket> _sockets = [];
    private readonly ConcurrentBag<Task> _background = [];
    private readonly StepStats? _abandon;
    private readonly StepStats? _absent;
    private readonly JoinChallengeSolver _challenge;
    private LineStatsDto? _lastLine;
    private long _peakAbsent;
    private long _peakEta;
    private readonly StepStats? _refreshPoll;
    private readonly StepStats? _refreshConnect;
    private long _lineJumps;

    private enum Role : byte
    {
        Shopper,
        Abandoner,
        Refresher,
        Absent,
    }

    private RushCrowd(ScenarioContext context, SaleDto sale, SaleFeed feed, JoinChallengeSolver challenge)
    {
        _context = context;
        _sale = sale;
        _feed = feed;
        _challenge = challenge;
        var o = context.Options;
        _roles = DealRoles(o.Users, o.AbandonFraction, o.AbsentFraction, o.RefresherFraction, o.Seed);
        // Steps only for the kinds present, so a report lists no empty ones.
        _abandon = o.AbandonFraction > 0 ? context.Stats.Step("abandon") : null;
        _absent = o.AbsentFraction > 0 ? context.Stats.Step("absent") : null;
        _refreshPoll = o.RefresherFraction > 0 ? context.Stats.Step("refresh-poll") : null;
        _refreshConnect = o.RefresherFraction > 0 ? context.Stats.Step("refresh-connect") : null;
    }

    /// <summary>Null when the run asked for none of the crowd, so a plain rush pays nothing for it.</summary>
    public static RushCrowd? Create(ScenarioContext context, SaleDto sale, SaleFeed feed, JoinChallengeSolver challenge)
    {
        var o = context.Options;
        if (!o.HasCrowd)
        {
            return null;
        }

        var crowd = new RushCrowd(context, sale, feed, challenge);
        var abandoners = crowd._roles.Count(r => r == Role.Abandoner);
        var absent = crowd._roles.Count(r => r == Role.Absent);
        var refreshers = crowd._roles.Count(r => r == Role.Refresher);
        context.Notes.Add($"crowd: {abandoners} abandoners (leave within {o.AbandonWithin.TotalSeconds:0.#} s), {absent} absent, {refreshers} refreshers, {o.Watchers} watchers, {o.Bots} bots");

        // In a multi-process run the workers bring the crowd; the coordinator only set the sale up. The line is
        // sampled by one process only: this one, or the first worker.
        if (!o.IsCoordinator)
        {
            crowd.StartWatchersAndBots();
            if ((o.AbandonFraction > 0 || o.AbsentFraction > 0) && sale.WaitingRoom == true && o.WorkerIndex is null or 0)
            {
                crowd._background.Add(crowd.SampleLineAsync());
            }
        }

        return crowd;
    }

    /// <summary>
    /// A shopper has joined and waits for <paramref name="admitted"/>. Returns when an abandoner gives up (null for
    /// everyone else); a refresher starts refreshing until admitted.
    /// </summary>
    public Task? InLine(VirtualUser user, Task admitted)
    {
        var role = user.Index < _roles.Length ? _roles[user.Index] : Role.Shopper;
        switch (role)
        {
            case Role.Abandoner:
                var patience = _context.Options.AbandonWithin * new Random(_context.Options.Seed ^ user.Index).NextDouble();
                return Task.Delay(patience, _context.Stopping).ContinueWith(static _ => { }, TaskScheduler.Default);
            case Role.Absent:
                return Task.CompletedTask;
            case Role.Refresher:
                _background.Add(RefreshAsync(user, admitted));
                return null;
            default:
                return null;
        }
    }

    /// <summary>An abandoner or absent shopper left the line: counted with how long it waited, and its page closed.</summary>
    public async Task LeftAsync(VirtualUser user, long startTimestamp, SaleSocket? socket)
    {
        if (user.Index < _roles.Length && _roles[user.Index] == Role.Absent)
        {
            _absent?.Record(WentAway, startTimestamp);
        }
        else
        {
            _abandon?.Record(LeftLine, startTimestamp);
        }

        if (socket is not null)
        {
            await socket.DisposeAsync();
        }
    }

    /// <summary>Stops the watchers and bots, closes their pages, and hands the line inversions to the audit.</summary>
    public async Task StopAsync()
    {
        await Task.WhenAll(_background).WaitAsync(TimeSpan.FromSeconds(15));
        var closing = new List<Task>();
        while (_sockets.TryTake(out var socket))
        {
            closing.Add(socket.DisposeAsync().AsTask());
        }

        await Task.WhenAll(closing).WaitAsync(TimeSpan.FromSeconds(10));
        if (_context.Options.Bots > 0 && !_context.Options.IsCoordinator)
        {
            _context.LineInversions = (_context.LineInversions ?? 0) + Interlocked.Read(ref _lineJumps);
        }

        if (_lastLine is { } line)
        {
            _context.Notes.Add(
                $"line (host's queue/stats, every {LineSampleEvery.TotalSeconds:0} s): at the end {line.Issued} tickets, admitted through {line.AdmittedThrough}, " +
                $"{line.AdmittedTotal} admitted, {Math.Max(0, line.AdmittedThrough - line.AdmittedTotal)} passed without admission (absent skipped or abandoned), " +
                $"{line.Present} present, {line.Absent} absent (peak {_peakAbsent}), {line.Abandoned} abandoned, {line.Returning} returning; " +
                $"ETA of the last ticket {line.EtaLastTicketSeconds} s (peak {_peakEta} s)");
        }
    }

    /// <summary>Reads the line's figures every second until the run stops; the last and the peaks go to the notes.</summary>
    private async Task SampleLineAsync()
    {
        await Task.Yield();
        var stopping = _context.Stopping;
        try
        {
            var admin = await _context.AdminTokenAsync(stopping);
            while (!stopping.IsCancellationRequested)
            {
                var stats = await _context.Api.LineStatsAsync(admin, _sale.Id, stopping);
                if (!stats.IsOk || stats.Value is not { } line)
                {
                    _context.Notes.Add($"the line's figures could not be read (queue/stats answered {stats.Status} {stats.Outcome.Name})");
                    return;
                }

                _lastLine = line;
                _peakAbsent = Math.Max(_peakAbsent, line.Absent);
                _peakEta = Math.Max(_peakEta, line.EtaLastTicketSeconds);
                await Task.Delay(LineSampleEvery, stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // The figures are a report's extra: a failure to read them is a note, never a failed run.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _context.Notes.Add($"the line's figures could not be read: {ex.Message}");
        }
    }

    /// <summary>Deals the roles over the buyers: exactly round(N × fraction) of each, spread by the seed.</summary>
    private static Role[] DealRoles(int users, double abandon, double absent, double refresh, int seed)
    {
        var roles = new Role[users];
        var order = Enumerable.Range(0, users).ToArray();
        new Random(seed).Shuffle(order);
        var abandoners = (int)Math.Round(users * abandon);
        var away = Math.Min(users - abandoners, (int)Math.Round(users * absent));
        var refreshers = Math.Min(users - abandoners - away, (int)Math.Round(users * refresh));
        for (var i = 0; i < abandoners + away + refreshers; i++)
        {
            roles[order[i]] = i < abandoners ? Role.Abandoner : i < abandoners + away ? Role.Absent : Role.Refresher;
        }

        return roles;
    }

    private void StartWatchersAndBots()
    {
        var o = _context.Options;
        var shoppers = _context.Shoppers;
        if (shoppers.Count < o.Users + o.Watchers + o.Bots)
        {
            _context.Notes.Add($"crowd: only {shoppers.Count} shoppers for {o.Users} buyers, {o.Watchers} watchers and {o.Bots} bots: the crowd is cut short");
        }

        var watchFeed = new SaleFeed(_sale.Id, _context.Stats.Step("watch-event-lag", isRequest: false));
        var watchConnect = _context.Stats.Step("watch-connect");
        for (var j = 0; j < o.Watchers && o.Users + j < shoppers.Count; j++)
        {
            _background.Add(WatchAsync(shoppers[o.Users + j].AccessToken, watchFeed, watchConnect));
        }

        var botJoin = _context.Stats.Step("bot-join");
        var botPurchase = _context.Stats.Step("bot-purchase");
        for (var j = 0; j < o.Bots && o.Users + o.Watchers + j < shoppers.Count; j++)
        {
            _background.Add(BotAsync(o.Users + o.Watchers + j, botJoin, botPurchase));
        }
    }

    private async Task WatchAsync(string token, SaleFeed feed, StepStats connect)
    {
        await Task.Yield();
        var start = Stopwatch.GetTimestamp();
        try
        {
            _sockets.Add(await SaleSocket.ConnectAsync(_context.ConnectWebSocket, SaleSocket.UriFor(_context.Api.BaseAddress), token, _sale.Id, feed, _context.Stopping));
            connect.Record(Outcome.Ok, start);
        }
        catch (Exception ex) when (!_context.Stopping.IsCancellationRequested)
        {
            connect.Record(OutcomeClassifier.FromException(ex), start);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RefreshAsync(VirtualUser user, Task admitted)
    {
        var stopping = _context.Stopping;
        SaleSocket? page = null;
        var lastReload = Stopwatch.GetTimestamp();
        try
        {
            while (!admitted.IsCompleted && !stopping.IsCancellationRequested)
            {
                await Task.WhenAny(admitted, Task.Delay(RefreshPollEvery, stopping));
                if (admitted.IsCompleted || stopping.IsCancellationRequested)
                {
                    break;
                }

                var start = Stopwatch.GetTimestamp();
                var poll = await _context.Api.QueueStatusAsync(user.Token, _sale.Id, stopping);
                _refreshPoll?.Record(poll.Outcome, start);
                if (poll.IsOk && poll.Value is { } now)
                {
                    _feed.Gate.Advance(now.AdmittedThrough);
                }

                if (Stopwatch.GetElapsedTime(lastReload) >= ReloadEvery)
                {
                    lastReload = Stopwatch.GetTimestamp();
                    page = await ReloadAsync(user, page);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            if (page is not null)
            {
                await page.DisposeAsync();
            }
        }
    }

    /// <summary>A page reload: the old socket goes, a new one connects and subscribes.</summary>
    private async Task<SaleSocket?> ReloadAsync(VirtualUser user, SaleSocket? old)
    {
        if (old is not null)
        {
            await old.DisposeAsync();
        }

        var start = Stopwatch.GetTimestamp();
        try
        {
            var page = await SaleSocket.ConnectAsync(_context.ConnectWebSocket, SaleSocket.UriFor(_context.Api.BaseAddress), user.Token, _sale.Id, _feed, _context.Stopping);
            _refreshConnect?.Record(Outcome.Ok, start);
            return page;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _refreshConnect?.Record(OutcomeClassifier.FromException(ex), start);
            return null;
        }
    }

    private async Task BotAsync(int shopperIndex, StepStats join, StepStats purchase)
    {
        await Task.Yield();
        var stopping = _context.Stopping;
        var shopper = _context.Shoppers[shopperIndex];
        try
        {
            // A bot pays for its place like anyone: the proof of work is per account.
            var nonce = await _challenge.SolveAsync(shopper.Id, stopping);
            var start = Stopwatch.GetTimestamp();
            var joined = await _context.Api.JoinQueueAsync(shopper.AccessToken, _sale.Id, nonce, stopping);
            join.Record(joined.Outcome, start);
            while (!stopping.IsCancellationRequested)
            {
                start = Stopwatch.GetTimestamp();
                var answer = await _context.Api.PurchaseAsync(shopper.AccessToken, _sale.Id, _context.Options.Quantity, Guid.NewGuid().ToString("N"), stopping);
                purchase.Record(answer.Outcome, start);
                if (answer.IsOk && answer.Value is { } order)
                {
                    _context.Ledger.Add(shopperIndex, shopper.Id, order);
                    await CheckAdmittedAsync(shopper.AccessToken);
                    return;
                }

                if (answer.Outcome.Name is "sold-out" or "limit-reached")
                {
                    return;
                }

                await Task.Delay(answer.RetryAfter is { } wait && wait > BotEvery ? wait : BotEvery, stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// After a bot's 201: the admitted-through counter only moves forward, so a ticket still beyond it now was beyond
    /// it when the purchase was accepted: the bot bought out of turn.
    /// </summary>
    private async Task CheckAdmittedAsync(string token)
    {
        if (_sale.WaitingRoom != true)
        {
            return;
        }

        var status = await _context.Api.QueueStatusAsync(token, _sale.Id, CancellationToken.None);
        if (status.IsOk && status.Value is { } s && s.Ticket > s.AdmittedThrough)
        {
            Interlocked.Increment(ref _lineJumps);
            _context.Notes.Add("a bot bought before its turn in line (see the audit's line inversions)");
        }
    }
}
