using FlashSale.Engine.Core;
using Npgsql;
using NpgsqlTypes;

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

    public const string Copy = "copy notification_outbox (kind, user_id, subject_id) from stdin (format binary)";

    /// <summary>
    /// For the staging path, a CTE over <c>inserted</c> (the orders the insert really wrote, with their shoppers): a
    /// replayed order was inserted by an earlier commit with its notice, so it gets none here.
    /// </summary>
    public const string FromInserted =
        $"notices as (insert into notification_outbox (kind, user_id, subject_id) select '{Kind}', user_id, id from inserted on conflict do nothing)";

    public static void Write(NpgsqlBinaryImporter importer, in AcceptedOrder order)
    {
        importer.StartRow();
        importer.Write(Kind, NpgsqlDbType.Text);
        importer.Write(order.UserId, NpgsqlDbType.Uuid);
        importer.Write(order.OrderId, NpgsqlDbType.Uuid);
    }
}
