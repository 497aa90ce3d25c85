namespace FlashSale.Engine.Core;

/// <summary>
/// One journaled ticket of a sale's line: who holds it, the end of its admission window once the line admitted it
/// (unix ms; null while it was not), and whether its shopper abandoned the place.
/// </summary>
public enum DurablePrequeue
{
    /// <summary>No pre-queue, or its draw is done (the drawn tickets are in the line).</summary>
    None,
    /// <summary>Entries are open: the draw has not started.</summary>
    Open,
    /// <summary>The draw closed the entries (tickets after the entrants were handed out) but is not journaled yet.</summary>
    Closed,
}

public readonly record struct DurableTicket(long Ticket, Guid UserId, long? AdmittedUntilUnixMs, bool Abandoned);

/// <summary>
/// A sale's line as PostgreSQL holds it (<c>line_tickets</c>, <c>line_progress</c>): what a rebuild of the sale's
/// Redis state puts the line back from. <see cref="Tickets"/> are in ticket order; <see cref="Through"/> is how far the
/// line had moved (tickets up to it were admitted or skipped).
/// </summary>
/// <see cref="Prequeue"/> says whether the sale's pre-queue still waits for its draw (and whether the draw had closed
/// the entries when Redis lost them); <see cref="Entrants"/> are the shoppers who entered it. <see cref="Paused"/> is the
/// operator's pause as last written (<see cref="PauseVersion"/>, 0 when never paused nor resumed).
public sealed record DurableLine(long Through, IReadOnlyList<DurableTicket> Tickets, DurablePrequeue Prequeue = DurablePrequeue.None,
    IReadOnlyList<Guid>? Entrants = null, bool Paused = false, long PauseVersion = 0)
{
    public static DurableLine Empty { get; } = new(0, []);
}
