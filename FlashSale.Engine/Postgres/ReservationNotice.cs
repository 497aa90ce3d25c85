namespace FlashSale.Engine.Postgres;

/// <summary>
/// The outbox row that tells a shopper "reserved, pay by …" (issue 16), written by the journal in the transaction
/// that commits the order, so a reservation and its notice are durable together or not at all. Only the three
/// columns that say which message it is: the table's defaults make it due now, and the dispatcher reads the figures
/// from the order when it sends. The host's migration 0070 owns the table.
/// </summary>
internal static class ReservationNotice
{
    public const string Kind = "reserved";

    /// <summary>The unique key that makes a second notice of one order impossible.</summary>
    public const string Constraint = "notification_outbox_once";

    /// <summary>
    /// For the direct path: the notices of the orders the COPY just inserted, from the orders' (shopper, id) pairs as two
    /// arrays, sent in ONE round trip with the transaction's COMMIT (<see cref="PostgresOrderJournal"/>). No
    /// <c>on conflict</c>: the COPY inserted every one of these orders, so a notice already there is a conflict that
    /// sends the commit the staging way, like an order already there.
    /// </summary>
    public const string InsertMany =
        $"insert into notification_outbox (kind, user_id, subject_id) select '{Kind}', u, o from unnest($1::uuid[], $2::uuid[]) as n(u, o)";

    /// <summary>
    /// For the staging path, a CTE over <c>inserted</c> (the orders the insert really wrote, with their shoppers): a
    /// replayed order was inserted by an earlier commit with its notice, so it gets none here.
    /// </summary>
    public const string FromInserted =
        $"notices as (insert into notification_outbox (kind, user_id, subject_id) select '{Kind}', user_id, id from inserted on conflict do nothing)";
}
