using System.Collections.Concurrent;
using Dapper;
using FlashSale.Engine.Postgres;
using FlashSale.Engine.Redis;
using FlashSale.Host.Sales;
using Npgsql;

namespace FlashSale.Host.WaitingRoom;

/// <summary>A pre-queue's draw as published: the seed, its hash, the entrants, the list digest and when.</summary>
public sealed record DrawRecord(string Seed, string SeedHash, int Entrants, string ListDigest, DateTime DrawnAt)
{
    private int[]? _permutation;

    /// <summary>The sorted-list index of the entrant who drew <paramref name="ticket"/> (1-based), or null past the entrants.</summary>
    public int? IndexOf(long ticket)
    {
        if (ticket < 1 || ticket > Entrants)
        {
            return null;
        }
        _permutation ??= FairDraw.Permutation(Seed, Entrants);
        return _permutation[ticket - 1];
    }
}

/// <summary>
/// Runs the fair draw of pre-queue sales (<see cref="FairDraw"/>) when their start comes by this host's clock
/// (<see cref="TimeProvider"/>), on the host that holds the line's lease (the admission loop calls it before each step,
/// so exactly one host draws a sale). Steps: close the entries in Redis (new joiners now queue after the entrants),
/// sort the entrants and shuffle them with the seed fixed at the sale's creation, journal the drawn tickets and the
/// draw in PostgreSQL (the draw survives a Redis data loss; the seed becomes public), then give the tickets in Redis.
/// Every step is idempotent, so a draw cut short by a failure or a lease change is finished by the next attempt with
/// the same result: the order depends only on the seed and the entrant set, which the closing fixed.
/// Also reads published draws (cached: a draw never changes) for the fairness endpoint and the shoppers' receipts.
/// </summary>
public sealed partial class PrequeueDraw(RedisWaitingRoom room, PostgresLineJournal journal, NpgsqlDataSource db, TimeProvider clock,
    ILogger<PrequeueDraw> logger)
{
    private readonly ConcurrentDictionary<Guid, DrawRecord> _draws = new();

    /// <summary>Draws the sale's pre-queue if it is due and not drawn yet; true when this call gave the tickets.</summary>
    public async Task<bool> TryDrawAsync(WaitingRoomSale sale, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (sale.PrequeueSeconds <= 0 || _draws.ContainsKey(sale.SaleId) || clock.GetUtcNow().UtcDateTime < sale.StartsAt)
        {
            return false;
        }
        var entries = await room.CloseEntriesAsync(sale.SaleId, owner);
        if (!entries.Pending)
        {
            if (entries.Leader)
            {
                // Drawn already (by this host before a restart, or by another): remember the record.
                await FindAsync(sale.SaleId, cancellationToken);
            }
            return false;
        }
        string seed;
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            seed = await connection.ExecuteScalarAsync<string>(new CommandDefinition(
                "select fairness_seed from flash_sales where id = @id", new { id = sale.SaleId }, cancellationToken: cancellationToken))
                ?? throw new InvalidOperationException($"Sale {sale.SaleId} has a pre-queue but no draw seed.");
        }
        var sorted = FairDraw.Sorted(entries.Entrants);
        var drawn = Array.ConvertAll(FairDraw.Permutation(seed, sorted.Length), i => sorted[i]);
        await journal.RecordDrawAsync(sale.SaleId, entries.Epoch, drawn, FairDraw.ListDigest(sorted), clock.GetUtcNow(), cancellationToken);
        var given = await room.ApplyDrawAsync(sale.SaleId, owner, drawn);
        if (given)
        {
            LogDrawn(logger, sale.SaleId, drawn.Length);
            await FindAsync(sale.SaleId, cancellationToken);
        }
        return given;
    }

    /// <summary>The sale's published draw, or null before it (or for a sale without a pre-queue).</summary>
    public async ValueTask<DrawRecord?> FindAsync(Guid saleId, CancellationToken cancellationToken)
    {
        if (_draws.TryGetValue(saleId, out var record))
        {
            return record;
        }
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        record = await connection.QuerySingleOrDefaultAsync<DrawRecord>(new CommandDefinition(
            """
            select s.fairness_seed as seed, s.fairness_seed_hash as seed_hash, d.entrants, d.list_digest, d.drawn_at
            from line_draws d join flash_sales s on s.id = d.flash_sale_id where d.flash_sale_id = @saleId
            """, new { saleId }, cancellationToken: cancellationToken));
        return record is null ? null : _draws.GetOrAdd(saleId, record);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Drew the pre-queue of sale {SaleId}: {Entrants} entrants")]
    private static partial void LogDrawn(ILogger logger, Guid saleId, int entrants);
}
