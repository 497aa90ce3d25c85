namespace FlashSale.Engine.Core;

/// <summary>
/// The buffers of one batch of a <see cref="SaleEngine"/>, reused batch after batch so the steady state allocates
/// nothing. An engine owns a few of them so it can decide the next batch while an earlier one's orders are being
/// committed: the loop writes a batch until it hands its accepted orders to the journal; from then on only that
/// commit's continuation touches it, and the loop waits for <see cref="Commit"/> before taking it again.
/// </summary>
internal sealed class EngineBatch
{
    public EngineBatch(int limit)
    {
        Operations = new PurchaseOperation?[limit];
        Requests = new PurchaseRequest[limit];
        ForwardedFrom = new int[limit];
        Decisions = new PurchaseDecision[limit];
        Orders = new AcceptedOrder[limit];
        OrderFrom = new int[limit];
        CommittedPositions = new OrderLogPosition[limit];
    }

    /// <summary>The operations taken from the intake; a slot is cleared when its caller is answered.</summary>
    public PurchaseOperation?[] Operations { get; }

    /// <summary>The requests forwarded to the authority (those not refused locally).</summary>
    public PurchaseRequest[] Requests { get; }

    /// <summary>For each forwarded request, its index in <see cref="Operations"/>.</summary>
    public int[] ForwardedFrom { get; }

    /// <summary>The authority's decision for each forwarded request.</summary>
    public PurchaseDecision[] Decisions { get; }

    /// <summary>The accepted orders handed to the journal.</summary>
    public AcceptedOrder[] Orders { get; }

    /// <summary>For each accepted order, its index in <see cref="Requests"/> and <see cref="Decisions"/>.</summary>
    public int[] OrderFrom { get; }

    /// <summary>The log positions of the committed orders, handed back to the authority after the commit.</summary>
    public OrderLogPosition[] CommittedPositions { get; }

    /// <summary>
    /// The commit of this batch's accepted orders and the answers that follow it; completed when the buffers are
    /// free again. Never faults: a failed commit answers its callers Unavailable.
    /// </summary>
    public Task Commit { get; set; } = Task.CompletedTask;

    /// <summary>Answers the caller at <paramref name="index"/> of <see cref="Operations"/>.</summary>
    public void CompleteAt(int index, in PurchaseDecision decision)
    {
        // Clear the slot before completing: the awaiter may recycle the operation for another request at once.
        var operation = Operations[index]!;
        Operations[index] = null;
        operation.Complete(decision);
    }

    /// <summary>Answers every caller of the first <paramref name="count"/> slots not answered yet; returns how many that was.</summary>
    public int CompleteAllPending(int count, in PurchaseDecision decision)
    {
        var completed = 0;
        for (var i = 0; i < count; i++)
        {
            if (Operations[i] is not null)
            {
                CompleteAt(i, decision);
                completed++;
            }
        }
        return completed;
    }
}
