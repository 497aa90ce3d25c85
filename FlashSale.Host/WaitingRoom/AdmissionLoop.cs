using FlashSale.Engine.Core;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Infrastructure.Telemetry;
using FlashSale.Host.Sales;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// Advances every waiting-room sale's line. Runs on every host, but a sale's step only runs for the holder of the
/// sale's Redis lease (<c>{sale:ID}:lease</c>, taken with SET PX inside the same Lua call that admits, renewed at every
/// step), so exactly one host moves a given line at a time and a dead holder is replaced after the lease time. A host
/// that finds the lease taken leaves that sale alone for half a lease. Each step admits at the sale's rate, only
/// while the sale is open and has stock, and never beyond <see cref="WaitingRoomOptions.AdmittedPerRemainingUnit"/>
/// live admissions per unit left. Absent shoppers are skipped (see <see cref="WaitingRoomOptions.PresenceTimeoutSeconds"/>).
/// A step that admitted someone or found someone away raises the sale's queue signal so the new figures go out as
/// one frame.
/// <para>A pre-queue sale is drawn (<see cref="PrequeueDraw"/>) by the same host, before its first step past the start.</para>
/// <para>Each step that moved the line is journaled (<see cref="PostgresLineJournal.RecordStepAsync"/>: its admissions,
/// abandoned places and "admitted through") so a rebuild after a Redis data loss keeps the same admissions. A step
/// whose write failed is written again, in order, before the next one; one fenced off by a rebuild is dropped (the
/// rebuilt line did not take it, and moves on from what was journaled). A host dying between a step and its write
/// loses only that step's record: the rebuilt line admits those tickets again.</para>
/// <para>The operator's pause as journaled (<see cref="WaitingRoomSale.PauseVersion"/>) is put into Redis once per
/// version, so a pause whose Redis write failed still takes effect without a retry.</para>
/// </summary>
public sealed partial class AdmissionLoop(
    RedisWaitingRoom room,
    PostgresLineJournal journal,
    PrequeueDraw draw,
    WaitingRoomCatalog catalog,
    SaleSignals signals,
    IOptions<WaitingRoomOptions> options,
    TimeProvider clock,
    ILogger<AdmissionLoop> logger) : BackgroundService
{
    private readonly string _owner = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";
    private readonly Dictionary<Guid, long> _notMineUntil = [];
    private readonly Dictionary<Guid, long> _journaledThrough = [];
    private readonly Dictionary<Guid, Queue<AdmissionStep>> _unjournaled = [];
    private readonly Dictionary<Guid, long> _pauseApplied = [];

    /// <summary>This host's lease identity.</summary>
    public string Owner => _owner;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        long lastRefresh = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(settings.AdmissionTickMilliseconds), clock);
        do
        {
            var now = clock.GetUtcNow();
            var nowMs = now.ToUnixTimeMilliseconds();
            try
            {
                if (nowMs - lastRefresh >= settings.CatalogRefreshSeconds * 1000)
                {
                    await catalog.RefreshAsync(stoppingToken);
                    lastRefresh = nowMs;
                }
                foreach (var sale in catalog.Sales)
                {
                    // Upcoming sales are stepped too: nothing is admitted before the opening, but presence is kept
                    // (positions count present shoppers from the first join).
                    if (now.UtcDateTime >= sale.EndsAt
                        || (_notMineUntil.TryGetValue(sale.SaleId, out var until) && nowMs < until))
                    {
                        continue;
                    }
                    if (sale.PauseVersion > _pauseApplied.GetValueOrDefault(sale.SaleId))
                    {
                        // The journal holds the operator's word: a pause or resume whose Redis write failed is put in
                        // force within a catalog refresh, retried or not (Redis takes only a newer version, so this is
                        // a no-op where it already holds it; every host does it once per version).
                        if (await room.SetPausedAsync(sale.SaleId, sale.Paused, sale.PauseVersion))
                        {
                            signals.Mark(sale.SaleId, SaleSignals.Queue);
                        }
                        _pauseApplied[sale.SaleId] = sale.PauseVersion;
                    }
                    if (sale.PrequeueSeconds > 0 && await draw.TryDrawAsync(sale, _owner, stoppingToken))
                    {
                        signals.Mark(sale.SaleId, SaleSignals.Queue);
                    }
                    var step = await room.AdmitAsync(sale.SaleId, _owner, nowMs, new AdmissionPolicy(sale.RatePerSecond,
                        sale.WindowSeconds * 1000L, settings.AdmittedPerRemainingUnit, settings.LeaseMilliseconds, settings.MaxAdmissionsPerStep,
                        (long)(settings.PresenceTimeoutSeconds * 1000), (long)(settings.AbandonAfterSeconds * 1000)));
                    if (!step.Leader)
                    {
                        _notMineUntil[sale.SaleId] = nowMs + (settings.LeaseMilliseconds / 2);
                        continue;
                    }
                    _notMineUntil.Remove(sale.SaleId);
                    LineMetrics.Record(sale.SaleId, step);
                    await JournalAsync(sale.SaleId, step, stoppingToken);
                    if (step.AdmittedNow > 0 || step.PresenceChanges > 0)
                    {
                        signals.Mark(sale.SaleId, SaleSignals.Queue);
                    }
                }
            }
            catch (Exception e) when (e is RedisException or TimeoutException or Npgsql.NpgsqlException or InvalidOperationException)
            {
                LogStepFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task JournalAsync(Guid saleId, AdmissionStep step, CancellationToken cancellationToken)
    {
        var moved = step.AdmittedThrough > _journaledThrough.GetValueOrDefault(saleId)
            || step.AdmittedTickets is { Count: > 0 } || step.AbandonedTickets is { Count: > 0 };
        if (!_unjournaled.TryGetValue(saleId, out var waiting))
        {
            if (!moved)
            {
                return;
            }
            waiting = _unjournaled[saleId] = new Queue<AdmissionStep>();
        }
        if (moved)
        {
            waiting.Enqueue(step);
        }
        while (waiting.TryPeek(out var next))
        {
            try
            {
                await journal.RecordStepAsync(saleId, next.Epoch, next.AdmittedThrough, next.DeadlineUnixMs, next.AdmittedTickets ?? [],
                    next.AbandonedTickets ?? [], cancellationToken);
            }
            catch (SaleEpochMovedException)
            {
                // Taken under a state a rebuild replaced: the rebuilt line never had it.
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException)
            {
                LogJournalFailed(logger, e);
                return;
            }
            waiting.Dequeue();
            _journaledThrough[saleId] = Math.Max(_journaledThrough.GetValueOrDefault(saleId), next.AdmittedThrough);
        }
        _unjournaled.Remove(saleId);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Journaling an admission step failed; the next tick writes it again")]
    private static partial void LogJournalFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Advancing the waiting rooms failed; the next tick retries")]
    private static partial void LogStepFailed(ILogger logger, Exception exception);
}
