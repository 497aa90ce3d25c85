using Dapper;
using FlashSale.Engine.Core;
using Npgsql;

namespace FlashSale.Host.Sales;

/// <summary>
/// The books of one sale: units by order state from PostgreSQL and the remaining stock from the stock authority.
/// Consistent means both sides agree and every unit is accounted for: total = remaining + reserved + paid.
/// </summary>
public sealed class SaleAudit(NpgsqlDataSource db, IStockAuthority authority)
{
    public sealed record Report(
        Guid SaleId, int TotalStock, int RemainingStock, int ReservedUnits, int PaidUnits, int ExpiredUnits, int CancelledUnits,
        int PendingReturns, bool Consistent);

    public async Task<Report> RunAsync(Sale sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var units = await connection.QuerySingleAsync<(int Reserved, int Paid, int Expired, int Cancelled, int PendingReturns)>(new CommandDefinition(
            """
            select coalesce(sum(quantity) filter (where status = 'reserved'), 0)::int,
                   coalesce(sum(quantity) filter (where status = 'paid'), 0)::int,
                   coalesce(sum(quantity) filter (where status = 'expired'), 0)::int,
                   coalesce(sum(quantity) filter (where status = 'cancelled'), 0)::int,
                   coalesce(sum(quantity) filter (where status in ('expired', 'cancelled') and returned_at is null), 0)::int
            from orders o where flash_sale_id = @Id
            """, new { sale.Id }, cancellationToken: cancellationToken));
        var authorityRemaining = await authority.GetRemainingStockAsync(sale.Id, cancellationToken);
        var databaseRemaining = sale.TotalStock - units.Reserved - units.Paid;
        // The authority may hold no state for the sale: before its first purchase (then PostgreSQL holds no order and its
        // figure is the full stock), or after the sale's Redis state was removed past its retention (then PostgreSQL's
        // figure is the one a rebuild would install). Either way PostgreSQL's figure stands in.
        var remaining = authorityRemaining ?? databaseRemaining;
        var consistent = units.PendingReturns == 0 && remaining == databaseRemaining &&
                         sale.TotalStock == remaining + units.Reserved + units.Paid;
        return new Report(sale.Id, sale.TotalStock, remaining, units.Reserved, units.Paid, units.Expired, units.Cancelled, units.PendingReturns, consistent);
    }
}
