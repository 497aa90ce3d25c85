using FlashSale.Engine.Core;
using StackExchange.Redis;

namespace FlashSale.Engine.Redis;

/// <summary>
/// How a journaled line (<see cref="DurableLine"/>) goes back into Redis with the sale's rebuilt state
/// (<see cref="LuaScripts.Install"/>): the same tickets in the same order and the same "admitted through".
/// <list type="bullet">
/// <item>Each shopper keeps the latest ticket; a ticket number the journal does not hold (its join was refused after
/// Redis handed it out) becomes a place nobody holds, which the line passes.</item>
/// <item>A shopper waiting past <c>through</c> is present from the rebuild on (presence is not journaled: it is
/// re-learnt from sockets and polls within one presence timeout, and an away shopper is then skipped as before).</item>
/// <item>A ticket the line reached keeps its admission (deadline as journaled; a lapsed one is purged by the next step),
/// unless its shopper already holds the per-user limit (the purchase used the admission up). One the line reached
/// without admitting it was skipped while away: it stays skipped and resumes when its shopper is seen again.</item>
/// <item>An abandoned place stays gone; one the line has not reached still counts as nobody there.</item>
/// <item>The operator's pause comes back with its version (an emergency stop is never lifted by a data loss); Redis keeps
/// a newer one written meanwhile.</item>
/// </list>
/// </summary>
public sealed class LineRestore
{
    private LineRestore(long issued, long through, string pre = "0")
    {
        Pre = pre;
        Issued = issued;
        Through = through;
        Line = new RedisValue[issued];
    }

    /// <summary>A sale without a journaled line.</summary>
    public static LineRestore None { get; } = new(0, 0);

    /// <summary>The member of <c>:line</c> standing for a ticket nobody holds.</summary>
    public const string Nobody = "-";

    public long Issued { get; }

    /// <summary>The pre-queue's state in <c>:queue</c> <c>pre</c>: "0" none or drawn, "1" entries open, "2" closed for the draw.</summary>
    public string Pre { get; }

    /// <summary>The pre-queue's entrants (<c>:entrants</c>), while it waits for its draw.</summary>
    public List<string> Entrants { get; } = [];

    public long Through { get; }

    /// <summary>The operator's pause as journaled, and its version (0: never paused nor resumed).</summary>
    public bool Paused { get; private init; }

    public long PauseVersion { get; private init; }

    /// <summary>The users in ticket order (index = ticket − 1).</summary>
    public RedisValue[] Line { get; }

    public List<(string User, long Ticket)> Tickets { get; } = [];

    public List<(long Deadline, string User)> Admitted { get; } = [];

    public List<(long Ticket, string Member)> Absent { get; } = [];

    public List<string> Present { get; } = [];

    internal int ArgumentCount => Line.Length + (2 * (Tickets.Count + Admitted.Count + Absent.Count)) + Present.Count + Entrants.Count;

    /// <summary>The restore of <paramref name="line"/>; <paramref name="unitsHeld"/> are the rebuilt units per shopper.</summary>
    public static LineRestore From(DurableLine? line, IReadOnlyDictionary<Guid, long> unitsHeld, int perUserLimit)
    {
        ArgumentNullException.ThrowIfNull(unitsHeld);
        if (line is null || (line.Tickets.Count == 0 && line.Through == 0 && line.Prequeue == DurablePrequeue.None))
        {
            return line is { PauseVersion: > 0 } ? new LineRestore(0, 0) { Paused = line.Paused, PauseVersion = line.PauseVersion } : None;
        }
        var entrants = line.Prequeue == DurablePrequeue.None ? [] : line.Entrants ?? [];
        var issued = Math.Max(line.Tickets.Count == 0 ? 0 : line.Tickets.Max(t => t.Ticket),
            line.Prequeue == DurablePrequeue.Closed ? entrants.Count : 0);
        var restore = new LineRestore(issued, Math.Min(line.Through, issued), line.Prequeue switch
        {
            DurablePrequeue.Open => "1",
            DurablePrequeue.Closed => "2",
            _ => "0",
        })
        {
            Paused = line.Paused,
            PauseVersion = line.PauseVersion,
        };
        foreach (var entrant in entrants)
        {
            // Present from the rebuild on, as waiting shoppers are: their polls and sockets keep them so.
            restore.Entrants.Add(RedisSaleKeys.Member(entrant));
            restore.Present.Add(RedisSaleKeys.Member(entrant));
        }
        Array.Fill(restore.Line, (RedisValue)Nobody);
        var latest = new Dictionary<Guid, DurableTicket>();
        foreach (var ticket in line.Tickets)
        {
            restore.Line[ticket.Ticket - 1] = RedisSaleKeys.Member(ticket.UserId);
            latest[ticket.UserId] = ticket;
            if (ticket.Abandoned && ticket.Ticket > restore.Through)
            {
                restore.Absent.Add((ticket.Ticket, "g" + ticket.Ticket));
            }
        }
        foreach (var (userId, ticket) in latest)
        {
            if (ticket.Abandoned)
            {
                continue;
            }
            var user = RedisSaleKeys.Member(userId);
            restore.Tickets.Add((user, ticket.Ticket));
            if (ticket.Ticket > restore.Through)
            {
                restore.Present.Add(user);
            }
            else if (ticket.AdmittedUntilUnixMs is { } deadline)
            {
                if (unitsHeld.GetValueOrDefault(userId) < perUserLimit)
                {
                    restore.Admitted.Add((deadline, user));
                }
            }
            else
            {
                restore.Absent.Add((ticket.Ticket, user));
            }
        }
        return restore;
    }
}
