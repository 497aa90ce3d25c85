namespace FlashSale.Engine.Core;

/// <summary>
/// One journaled ticket of a sale's line: who holds it, the end of its admission window once the line admitted it
/// (unix ms; null while it was not), and whether its shopper abandoned the place.
/// </summary>
public readonly record struct DurableTicket(long Ticket, Guid UserId, long? AdmittedUntilUnixMs, bool Abandoned);

/// <summary>
/// A sale's line as PostgreSQL holds it (<c>line_tickets</c>, <c>line_progress</c>): what a rebuild of the sale's
/// Redis state puts the line back from. <see cref="Tickets"/> are in ticket order; <see cref="Through"/> is how far the
/// line had moved (tickets up to it were admitted or skipped).
/// </summary>
public sealed record DurableLine(long Through, IReadOnlyList<DurableTicket> Tickets)
{
    public static DurableLine Empty { get; } = new(0, []);
}
