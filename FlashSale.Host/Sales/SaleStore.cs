using Dapper;
using Npgsql;

namespace FlashSale.Host.Sales;

public sealed class SaleStore(NpgsqlDataSource db)
{
    // One row per sale and nothing summed over its orders: this runs on every cache refresh of the purchase path and
    // on every page of sales, and a hot sale has hundreds of thousands of orders.
    private const string Select =
        """
        select s.id, s.product_id, p.name as product_name, s.sale_price, p.base_price, s.total_stock, s.per_user_limit,
               s.starts_at, s.ends_at, s.payment_window_seconds, s.waiting_room, s.admission_rate_per_second,
               s.admission_window_seconds, s.created_at, s.updated_at, s.version, s.join_challenge_bits,
               s.prequeue_seconds, s.fairness_seed_hash
        from flash_sales s join products p on p.id = s.product_id
        """;

    /// <summary>
    /// Units PostgreSQL knows are taken (reserved or paid): the stand-in for remaining stock when the stock authority
    /// holds no figure for the sale. It reads every order of the sale, so it is never on the purchase path.
    /// </summary>
    public async Task<int> HeldUnitsAsync(Guid saleId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<int>(new CommandDefinition(
            "select coalesce(sum(quantity), 0)::int from orders where flash_sale_id = @saleId and status in ('reserved', 'paid')",
            new { saleId }, cancellationToken: cancellationToken));
    }

    public async Task<Sale?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Sale>(new CommandDefinition(
            Select + " where s.id = @id", new { id }, cancellationToken: cancellationToken));
    }

    /// <summary>Sales in time order; <paramref name="window"/> narrows to upcoming, running or ended sales.</summary>
    public async Task<IReadOnlyList<Sale>> ListAsync(string? window, DateTime now, CancellationToken cancellationToken)
    {
        var where = window switch
        {
            SaleStatus.Upcoming => " where s.starts_at > @now",
            SaleStatus.Active or SaleStatus.SoldOut => " where s.starts_at <= @now and s.ends_at > @now",
            SaleStatus.Ended => " where s.ends_at <= @now",
            _ => "",
        };
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Sale>(new CommandDefinition(
            Select + where + " order by s.starts_at, s.id limit 500", new { now }, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>Inserts the sale and its 'sale_created' ledger row in one transaction.</summary>
    /// <remarks><paramref name="fairnessSeed"/> is a pre-queue sale's draw seed: kept secret until the draw.</remarks>
    public async Task InsertAsync(Sale sale, CancellationToken cancellationToken, string? fairnessSeed = null)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var parameters = new DynamicParameters(sale);
        parameters.Add("fairnessSeed", fairnessSeed);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            insert into flash_sales (id, product_id, sale_price, total_stock, per_user_limit, starts_at, ends_at, payment_window_seconds,
                                     waiting_room, admission_rate_per_second, admission_window_seconds, created_at, updated_at,
                                     join_challenge_bits, prequeue_seconds, fairness_seed, fairness_seed_hash)
            values (@Id, @ProductId, @SalePrice, @TotalStock, @PerUserLimit, @StartsAt, @EndsAt, @PaymentWindowSeconds,
                    @WaitingRoom, @AdmissionRatePerSecond, @AdmissionWindowSeconds, @CreatedAt, @UpdatedAt, @JoinChallengeBits,
                    @PrequeueSeconds, @fairnessSeed, @FairnessSeedHash);
            insert into inventory_ledger (flash_sale_id, order_id, movement, quantity, created_at)
            values (@Id, null, 'sale_created', @TotalStock, @CreatedAt);
            """, parameters, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Applies the change and bumps the version, only while the sale has not ended (on PostgreSQL's clock): the check
    /// and the write are one statement, so a sale cannot end between them. Returns the row as the change left it, or
    /// null when no such sale exists, it has ended, or a pre-queue change was refused. A changed <c>prequeueSeconds</c> is applied only while
    /// the sale has not started, neither the old nor the new pre-queue is open by PostgreSQL's clock, and nobody holds a
    /// place in the line (no journaled ticket or entry): checked in the same statement, so nothing slips in between the
    /// endpoint's checks and the write. <paramref name="seed"/> and <paramref name="seedHash"/> are taken only by a sale
    /// that has none yet (its first pre-queue): a seed, once assigned, never changes.
    /// </summary>
    public async Task<Sale?> UpdateAsync(Guid id, UpdateSaleRequest change, CancellationToken cancellationToken, string? seed = null,
        string? seedHash = null)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<Sale>(new CommandDefinition(
            """
            with s as (
                update flash_sales set
                    prequeue_seconds = coalesce(@PrequeueSeconds, prequeue_seconds),
                    fairness_seed = coalesce(fairness_seed, @seed),
                    fairness_seed_hash = coalesce(fairness_seed_hash, @seedHash),
                    sale_price = coalesce(@SalePrice, sale_price),
                    ends_at = coalesce(@EndsAt, ends_at),
                    payment_window_seconds = coalesce(@PaymentWindowSeconds, payment_window_seconds),
                    waiting_room = coalesce(@WaitingRoom, waiting_room),
                    admission_rate_per_second = coalesce(@AdmissionRatePerSecond, admission_rate_per_second),
                    admission_window_seconds = coalesce(@AdmissionWindowSeconds, admission_window_seconds),
                    join_challenge_bits = coalesce(@JoinChallengeBits, join_challenge_bits),
                    updated_at = now(),
                    version = version + 1
                where id = @id and ends_at > now()
                  and (@PrequeueSeconds is null or @PrequeueSeconds = prequeue_seconds
                       or (starts_at > now() + greatest(@PrequeueSeconds, prequeue_seconds) * interval '1 second'
                           and not exists (select 1 from line_tickets t where t.flash_sale_id = @id)
                           and not exists (select 1 from line_entrants e where e.flash_sale_id = @id)))
                returning *
            )
            select s.id, s.product_id, p.name as product_name, s.sale_price, p.base_price, s.total_stock, s.per_user_limit,
                   s.starts_at, s.ends_at, s.payment_window_seconds, s.waiting_room, s.admission_rate_per_second,
                   s.admission_window_seconds, s.created_at, s.updated_at, s.version, s.join_challenge_bits,
               s.prequeue_seconds, s.fairness_seed_hash
            from s join products p on p.id = s.product_id
            """,
            new { id, change.SalePrice, EndsAt = change.EndsAt?.UtcDateTime, change.PaymentWindowSeconds, change.WaitingRoom,
                  change.AdmissionRatePerSecond, change.AdmissionWindowSeconds, change.JoinChallengeBits, change.PrequeueSeconds, seed, seedHash },
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Puts a pre-queue setting back after Redis refused it (a shopper got a place in the instant between the update's
    /// check and Redis): the line keeps what it had. Null when the sale is gone.
    /// </summary>
    public async Task<Sale?> RestorePrequeueAsync(Guid id, int seconds, CancellationToken cancellationToken)
    {
        await using (var connection = await db.OpenConnectionAsync(cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "update flash_sales set prequeue_seconds = @seconds, updated_at = now(), version = version + 1 where id = @id",
                new { id, seconds }, cancellationToken: cancellationToken));
        }
        return await FindAsync(id, cancellationToken);
    }

    /// <summary>
    /// Sales that still sell or ended within <paramref name="endedWithin"/>: what the periodic resync walks (an end moved
    /// earlier must still reach Redis after it passed).
    /// </summary>
    public async Task<IReadOnlyList<Sale>> ListLiveAsync(TimeSpan endedWithin, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<Sale>(new CommandDefinition(
            Select + " where s.ends_at > now() - @endedWithin order by s.ends_at limit 1000", new { endedWithin }, cancellationToken: cancellationToken))).AsList();
    }
}
