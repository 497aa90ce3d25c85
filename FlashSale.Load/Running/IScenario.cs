namespace FlashSale.Load.Running;

internal enum IterationResult
{
    /// <summary>Closed model: run the user's next iteration.</summary>
    Continue,

    /// <summary>This user has nothing more to do (a flash-rush shopper who bought or was refused).</summary>
    Done,
}

/// <summary>
/// A load scenario as code: set-up, one iteration of a user (a sequence of steps, each recording into its
/// own statistics), clean-up. Iterations run concurrently from many users and must be thread-safe.
/// </summary>
internal interface IScenario
{
    string Name { get; }

    string Description { get; }

    /// <summary>Closed-model users when the command line names none.</summary>
    int DefaultUsers { get; }

    bool NeedsShoppers { get; }

    /// <summary>True when each shopper runs once (open model arrivals stop when the shoppers run out).</summary>
    bool OneSessionPerShopper { get; }

    /// <summary>True when the run ends with the purchase audit.</summary>
    bool IsPurchase { get; }

    /// <summary>The first step of an iteration: where an open-model arrival that was never sent is counted.</summary>
    string EntryStep { get; }

    /// <summary>Creates what the run needs (sale, shoppers' sockets ...). Throws <see cref="SetupException"/> to stop the run.</summary>
    Task InitAsync(ScenarioContext context, CancellationToken ct);

    Task<IterationResult> RunAsync(VirtualUser user, CancellationToken ct);

    /// <summary>Releases what the run holds (sockets). Always called, also after a failed or aborted run.</summary>
    Task CleanupAsync(CancellationToken ct);
}

/// <summary>Set-up could not complete (host unreachable, no admin access, sale missing); shown as is, exit code 3.</summary>
internal sealed class SetupException(string message) : Exception(message);
