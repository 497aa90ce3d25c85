namespace FlashSale.Engine.Redis;

/// <summary>
/// The layouts of <see cref="WaitingRoomScripts.JoinMany"/>, owned here once (0-based offsets; the script adds 1).
/// ARGV: <see cref="ArgsPerShopper"/> values per shopper. Reply: {<see cref="NoState"/>} or {<see cref="NoWaitingRoom"/>},
/// otherwise the line's "through" at <see cref="Through"/>, then <see cref="PerShopper"/> values per shopper.
/// </summary>
internal static class JoinLayout
{
    public const int User = 0;
    public const int Join = 1;
    public const int ArgsPerShopper = 2;

    public const int Through = 0;
    /// <summary>The epoch of the sale's state: a journal write under another epoch fails (a rebuild replaced the state).</summary>
    public const int Epoch = 1;
    /// <summary>1 while the operator holds admission (pause), else 0: the shopper is told so, not left guessing.</summary>
    public const int Paused = 2;
    public const int Header = 3;
    public const int Ticket = 0;
    public const int Admitted = 1;
    public const int Deadline = 2;
    /// <summary>Present shoppers ahead (0 once admitted).</summary>
    public const int Position = 3;
    /// <summary>1 when this call handed the ticket out.</summary>
    public const int Fresh = 4;
    public const int PerShopper = 5;

    public const long NoState = -1;
    public const long NoWaitingRoom = -2;
    /// <summary>The ticket of a shopper who only read a place and holds none.</summary>
    public const long NotInLine = -3;
    /// <summary>The ticket of a shopper whose join was refused: nothing is left (shoppers in line keep their places).</summary>
    public const long SoldOut = -4;
    /// <summary>The ticket of a pre-queue entrant: the draw gives the tickets at the start.</summary>
    public const long Entrant = -5;

    /// <summary>Where the <paramref name="field"/> of the <paramref name="shopper"/>-th shopper sits in the reply.</summary>
    public static int At(int shopper, int field) => Header + (shopper * PerShopper) + field;
}

/// <summary>
/// The layouts of <see cref="WaitingRoomScripts.Admit"/>, owned here once (0-based offsets; the script adds 1).
/// Reply: {<see cref="LeaseHeldElsewhere"/>} or {<see cref="NoState"/>}, otherwise the step's figures.
/// </summary>
internal static class AdmitLayout
{
    public const int Owner = 0;
    public const int Now = 1;
    public const int LeaseMs = 2;
    public const int Rate = 3;
    public const int WindowMs = 4;
    public const int PerRemainingUnit = 5;
    public const int MaxPerStep = 6;
    public const int PresenceMs = 7;
    public const int AbandonMs = 8;
    public const int Args = 9;

    public const int Through = 0;
    public const int Issued = 1;
    public const int Live = 2;
    public const int Stock = 3;
    public const int AdmittedNow = 4;
    /// <summary>Shoppers the step marked absent or whose abandoned place it dropped (positions moved).</summary>
    public const int Changed = 5;
    public const int Epoch = 6;
    /// <summary>The admission deadline this step wrote (unix ms, Redis TIME), 0 when it admitted nobody.</summary>
    public const int Deadline = 7;
    public const int AdmittedCount = 8;
    /// <summary>Where the (ticket, user) pairs of the admissions start; the abandoned tickets follow them.</summary>
    public const int Tickets = 9;

    public const long LeaseHeldElsewhere = -1;
    public const long NoState = -2;
}

/// <summary>
/// The reply layout of <see cref="WaitingRoomScripts.Snapshot"/>, owned here once (0-based offsets; the script adds 1):
/// {<see cref="NoState"/>}, otherwise the sale's live figures.
/// </summary>
internal static class SnapshotLayout
{
    public const int Seq = 0;
    public const int Stock = 1;
    public const int Status = 2;
    public const int Changed = 3;
    public const int Through = 4;
    public const int WaitingRoom = 5;
    /// <summary>Shoppers skipped while away who came back: admitted first, so ahead of every waiting ticket.</summary>
    public const int Returning = 6;
    /// <summary>1 once when the sale turned from sold out back to active (units came back).</summary>
    public const int Restocked = 7;
    /// <summary>1 while the operator holds admission (pause): queue frames tell every screen.</summary>
    public const int Paused = 8;
    /// <summary>Where the (ticket, absent tickets after through up to it) pairs start.</summary>
    public const int Checkpoints = 9;
    public const int MostCheckpoints = 16;

    public const long NoState = -1;
}

/// <summary>The reply layout of <see cref="WaitingRoomScripts.Stats"/>, owned here once (0-based offsets; the script adds 1).</summary>
internal static class StatsLayout
{
    public const int Issued = 0;
    public const int Through = 1;
    public const int Paused = 2;
    public const int Abandoned = 3;
    public const int AdmittedTotal = 4;
    public const int AbsentWaiting = 5;
    public const int Skipped = 6;
    public const int Returning = 7;
    public const int LiveAdmissions = 8;
    public const int Buyers = 9;
    public const int Total = 10;
    public const int Stock = 11;
    public const int Starts = 12;
    public const int Now = 13;

    public const long NoState = -1;
}

/// <summary>The replies of <see cref="WaitingRoomScripts.CloseEntries"/> and <see cref="WaitingRoomScripts.ApplyDraw"/>.</summary>
internal static class DrawLayout
{
    public const long LeaseHeldElsewhere = -1;
    public const long NothingToDraw = -2;
    public const long OtherEntrants = -3;
}
