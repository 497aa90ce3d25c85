using System.Collections.Concurrent;
using Dapper;
using FlashSale.Host.Sales;
using Npgsql;

namespace FlashSale.Host.WaitingRoom;

/// <summary>
/// The admission settings of one sale that uses a waiting room, the proof of work its joins need, and the operator's
/// pause as journaled (<see cref="PauseVersion"/> 0: never paused nor resumed).
/// </summary>
public sealed record WaitingRoomSale(Guid SaleId, int RatePerSecond, int WindowSeconds, DateTime StartsAt, DateTime EndsAt, int JoinChallengeBits = 0,
    int PrequeueSeconds = 0, bool Paused = false, long PauseVersion = 0);

/// <summary>
/// The sales that use a waiting room and have not ended (long ago), with their rate and window: what the admission
/// loop walks and what queue answers and frames quote. Re-read from PostgreSQL by the admission loop; a change made
/// on this host is applied at once (<see cref="Apply"/>).
/// </summary>
public sealed class WaitingRoomCatalog(NpgsqlDataSource db, TimeProvider clock)
{
    private ConcurrentDictionary<Guid, WaitingRoomSale> _sales = new();

    public ICollection<WaitingRoomSale> Sales => _sales.Values;

    public bool TryGet(Guid saleId, out WaitingRoomSale? sale) => _sales.TryGetValue(saleId, out sale);

    /// <summary>The sale's settings, read from PostgreSQL when this host has not seen it yet; null without a waiting room.</summary>
    public async ValueTask<WaitingRoomSale?> GetAsync(Guid saleId, CancellationToken cancellationToken)
    {
        if (_sales.TryGetValue(saleId, out var sale))
        {
            return sale;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        sale = await connection.QuerySingleOrDefaultAsync<WaitingRoomSale>(new CommandDefinition(
            Select + " where id = @saleId and waiting_room", new { saleId }, cancellationToken: cancellationToken));
        if (sale is not null)
        {
            _sales[saleId] = sale;
        }
        return sale;
    }

    public void Apply(Sale sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (sale.WaitingRoom)
        {
            // A sale's change does not carry the line's pause: the entry keeps what the last read found.
            var known = _sales.GetValueOrDefault(sale.Id);
            _sales[sale.Id] = new WaitingRoomSale(sale.Id, sale.AdmissionRatePerSecond, sale.AdmissionWindowSeconds, sale.StartsAt, sale.EndsAt,
                sale.JoinChallengeBits, sale.PrequeueSeconds, known?.Paused ?? false, known?.PauseVersion ?? 0);
        }
        else
        {
            _sales.TryRemove(sale.Id, out _);
        }
    }

    /// <summary>Replaces the list with the waiting-room sales that end in the future (or ended in the last minute).</summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        var since = clock.GetUtcNow().UtcDateTime.AddMinutes(-1);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<WaitingRoomSale>(new CommandDefinition(
            Select + " where waiting_room and ends_at > @since", new { since }, cancellationToken: cancellationToken));
        _sales = new ConcurrentDictionary<Guid, WaitingRoomSale>(rows.Select(r => KeyValuePair.Create(r.SaleId, r)));
    }

    private const string Select =
        "select id as sale_id, admission_rate_per_second as rate_per_second, admission_window_seconds as window_seconds, starts_at, ends_at, " +
        "join_challenge_bits, prequeue_seconds, coalesce(lp.paused, false) as paused, coalesce(lp.pause_version, 0) as pause_version " +
        "from flash_sales left join line_progress lp on lp.flash_sale_id = flash_sales.id";
}
