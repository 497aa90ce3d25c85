namespace FlashSale.Load.Stats;

/// <summary>How an answer counts: a success, a refusal the host is allowed to give, or a failure.</summary>
internal enum OutcomeKind
{
    Ok,
    Refused,
    Error,
    Timeout,
}

/// <summary>
/// One outcome bucket of a step. Refusals keep the problem <c>type</c> slug as their name (sold-out,
/// limit-reached, ...) so each refusal type gets its own histogram.
/// </summary>
internal readonly record struct Outcome(string Name, OutcomeKind Kind)
{
    public static readonly Outcome Ok = new("ok", OutcomeKind.Ok);
    public static readonly Outcome Timeout = new("timeout", OutcomeKind.Timeout);

    /// <summary>An open-model arrival that was due but never sent before the run stopped.</summary>
    public static readonly Outcome Missed = new("missed", OutcomeKind.Error);

    public static Outcome Refused(string name) => new(name, OutcomeKind.Refused);

    public static Outcome Error(string name) => new(name, OutcomeKind.Error);

    public bool IsFailure => Kind is OutcomeKind.Error or OutcomeKind.Timeout;
}
