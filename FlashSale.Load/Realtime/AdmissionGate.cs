namespace FlashSale.Load.Realtime;

internal enum Admission
{
    Admitted,
    SoldOut,
}

/// <summary>
/// The waiting room as the client sees it: one "admitted through ticket T" counter per sale. Any socket's queue
/// frame (or any poll) advances it and releases every waiter up to T at once, in ticket order; a sold-out or
/// ended sale releases everybody. Frames repeat the same counter on 10,000 sockets, so the common path is one
/// volatile read and no lock.
/// </summary>
internal sealed class AdmissionGate
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<TaskCompletionSource<Admission>, long> _waiting = new();
    private long _admittedThrough = long.MinValue;
    private Admission? _closed;

    public long AdmittedThrough => Volatile.Read(ref _admittedThrough);

    public bool IsClosed => Volatile.Read(ref _closedFlag) != 0;

    private int _closedFlag;

    public Task<Admission> WaitAsync(long ticket)
    {
        lock (_lock)
        {
            if (_closed is { } closed)
            {
                return Task.FromResult(closed);
            }

            if (ticket <= _admittedThrough)
            {
                return Task.FromResult(Admission.Admitted);
            }

            var waiter = new TaskCompletionSource<Admission>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter, ticket);
            return waiter.Task;
        }
    }

    public void Advance(long admittedThrough)
    {
        if (admittedThrough <= Volatile.Read(ref _admittedThrough))
        {
            return;
        }

        lock (_lock)
        {
            if (admittedThrough <= _admittedThrough)
            {
                return;
            }

            Volatile.Write(ref _admittedThrough, admittedThrough);
            while (_waiting.TryPeek(out var waiter, out var ticket) && ticket <= admittedThrough)
            {
                _waiting.Dequeue();
                waiter.TrySetResult(Admission.Admitted);
            }
        }
    }

    /// <summary>Nothing more to buy: tell everybody still in line at once.</summary>
    public void Close(Admission reason)
    {
        if (Interlocked.Exchange(ref _closedFlag, 1) != 0)
        {
            return;
        }

        lock (_lock)
        {
            _closed = reason;
            while (_waiting.TryDequeue(out var waiter, out _))
            {
                waiter.TrySetResult(reason);
            }
        }
    }
}
