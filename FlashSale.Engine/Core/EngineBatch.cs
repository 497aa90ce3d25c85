namespace FlashSale.Engine.Core;

/// <summary>
/// The buffers of one batch of a <see cref="SaleEngine"/>, reused batch after batch so the steady state allocates
/// nothing. An engine owns a few of them so it can decide the next batch while an earlier one's orders are being
/// committed: the loop writes a batch until it hands its accepted orders to the journal; from then on only that
/// commit's continuation touches it, and the loop waits for <see cref="Commit"/> before taking it again.
/// <para>
/// One index space: slot <c>s</c> is one request's way through the batch, its caller in <see cref="Operations"/>[s],
/// its request in <see cref="Requests"/>[s] and its decision in <see cref="Decisions"/>[s] (the last two contiguous,
/// as the authority reads and writes them). A slot answered before the authority is asked (a local refusal) is dropped
/// by <see cref="Forward"/> moving the next forwarded one down; once the authority's refusals are answered, the slots
/// still waiting are exactly the accepted ones, in slot order, which is the order of <see cref="Orders"/>.
/// </para>
/// </summary>
internal sealed class EngineBatch
{
    public EngineBatch(int limit)
    {
        Operations = new PurchaseOperation?[limit];
        Requests = new PurchaseRequest[limit];
        Decisions = new PurchaseDecision[limit];
        Orders = new AcceptedOrder[limit];
        CommittedPositions = new OrderLogPosition[limit];
    }

    /// <summary>The callers of the slots (filled from the intake); a slot is cleared when its caller is answered.</summary>
    public PurchaseOperation?[] Operations { get; }

    /// <summary>The request of each forwarded slot, as the authority reads them.</summary>
    public PurchaseRequest[] Requests { get; }

    /// <summary>The authority's decision for each forwarded slot.</summary>
    public PurchaseDecision[] Decisions { get; }

    /// <summary>The accepted slots' orders, in slot order, handed to the journal.</summary>
    public AcceptedOrder[] Orders { get; }

    /// <summary>The log positions of the committed orders, handed back to the authority after the commit.</summary>
    public OrderLogPosition[] CommittedPositions { get; }

    /// <summary>
    /// The commit of this batch's accepted orders and the answers that follow it; completed when the buffers are
    /// free again. Never faults: a failed commit answers its callers Unavailable.
    /// </summary>
    public Task Commit { get; set; } = Task.CompletedTask;

    /// <summary>
    /// Makes the request taken into slot <paramref name="taken"/> the forwarded slot <paramref name="slot"/>
    /// (<paramref name="slot"/> &lt;= <paramref name="taken"/>: the slots answered locally before it are dropped).
    /// </summary>
    public void Forward(int taken, int slot)
    {
        var operation = Operations[taken]!;
        Requests[slot] = operation.Request;
        if (slot != taken)
        {
            Operations[slot] = operation;
            Operations[taken] = null;
        }
    }

    /// <summary>Answers the caller of <paramref name="slot"/>.</summary>
    public void CompleteAt(int slot, in PurchaseDecision decision)
    {
        // Clear the slot before completing: the awaiter may recycle the operation for another request at once.
        var operation = Operations[slot]!;
        Operations[slot] = null;
        operation.Complete(decision);
    }

    /// <summary>Answers every caller of the first <paramref name="count"/> slots not answered yet; returns how many that was.</summary>
    public int CompleteAllPending(int count, in PurchaseDecision decision)
    {
        var completed = 0;
        for (var slot = 0; slot < count; slot++)
        {
            if (Operations[slot] is not null)
            {
                CompleteAt(slot, decision);
                completed++;
            }
        }
        return completed;
    }

    /// <summary>
    /// Answers the accepted slots among the first <paramref name="forwarded"/> once their commit returned: their
    /// decisions when <paramref name="committed"/> (and collects their log positions into
    /// <see cref="CommittedPositions"/>, returning how many), otherwise Unavailable.
    /// </summary>
    public int CompleteCommitted(int forwarded, bool committed)
    {
        var logged = 0;
        for (var slot = 0; slot < forwarded; slot++)
        {
            if (Operations[slot] is null)
            {
                continue; // refused, and answered, before the commit
            }
            if (!committed)
            {
                CompleteAt(slot, PurchaseDecision.Refused(PurchaseStatus.Unavailable));
                continue;
            }
            if (Decisions[slot].LogPosition.IsSet)
            {
                CommittedPositions[logged++] = Decisions[slot].LogPosition;
            }
            CompleteAt(slot, Decisions[slot]);
        }
        return logged;
    }
}
