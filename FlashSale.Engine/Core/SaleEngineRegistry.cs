using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace FlashSale.Engine.Core;

/// <summary>
/// One <see cref="SaleEngine"/> per sale on this host: created on first use, reused afterwards, retired after the
/// sale ended. Lookups are a lock-free dictionary read; only creating, retiring and disposing take the registry's
/// lock, so the purchase path never waits on it.
/// </summary>
public sealed class SaleEngineRegistry : IAsyncDisposable
{
    private readonly ConcurrentDictionary<Guid, SaleEngine> _engines = new();
    private readonly IStockAuthority _authority;
    private readonly IOrderJournal _journal;
    private readonly SaleEngineOptions _options;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retireAfterEnd;
    private readonly ITimer? _sweepTimer;
    private readonly Lock _gate = new();
    private int _sweeping;
    private bool _disposed;

    public SaleEngineRegistry(
        IStockAuthority authority,
        IOrderJournal journal,
        SaleEngineOptions options,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(authority);
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        _authority = authority;
        _journal = journal;
        _time = timeProvider ?? TimeProvider.System;
        // A snapshot, so later edits of the caller's instance do not make engines of one registry differ.
        _options = options with { };
        _retireAfterEnd = options.RetireAfterEnd;
        if (options.RetirementSweepInterval > TimeSpan.Zero)
        {
            _sweepTimer = _time.CreateTimer(
                static state => _ = ((SaleEngineRegistry)state!).SweepAsync(),
                this,
                options.RetirementSweepInterval,
                options.RetirementSweepInterval);
        }
    }

    /// <summary>The options every engine of this registry is created with (a copy).</summary>
    public SaleEngineOptions Options => _options with { };

    /// <summary>Engines currently running.</summary>
    public int Count => _engines.Count;

    /// <summary>
    /// The sale's engine, created from <paramref name="sale"/> if this host runs none yet. An existing engine keeps
    /// its definition (use <see cref="Update"/> to change it).
    /// </summary>
    public SaleEngine GetOrCreate(SaleDefinition sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (_engines.TryGetValue(sale.SaleId, out var engine))
        {
            return engine;
        }

        // Rare path. Under the lock so two first requests cannot start two loops for one sale (a second loop would
        // break the single-writer guarantee the authority relies on).
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_engines.TryGetValue(sale.SaleId, out engine))
            {
                engine = new SaleEngine(sale, _authority, _journal, _options, _time);
                _engines[sale.SaleId] = engine;
            }

            return engine;
        }
    }

    public bool TryGet(Guid saleId, [NotNullWhen(true)] out SaleEngine? engine) => _engines.TryGetValue(saleId, out engine);

    /// <summary>Shortcut for <c>GetOrCreate(sale).SubmitAsync(request)</c>.</summary>
    public ValueTask<PurchaseDecision> SubmitAsync(SaleDefinition sale, in PurchaseRequest request, CancellationToken cancellationToken = default) =>
        GetOrCreate(sale).SubmitAsync(request, cancellationToken);

    /// <summary>
    /// Replaces a running sale's definition (admin PATCH of price or end) unless the engine holds a newer
    /// <see cref="SaleDefinition.Version"/>. Returns false when this host runs no engine for it (the next
    /// <see cref="GetOrCreate"/> then starts from the definition it is given) or the engine's is newer.
    /// </summary>
    public bool Update(SaleDefinition sale)
    {
        ArgumentNullException.ThrowIfNull(sale);
        if (!_engines.TryGetValue(sale.SaleId, out var engine))
        {
            return false;
        }

        // Under the registry's lock so the version check and the swap are one step against a concurrent update
        // (a relayed change racing a resync). A rare admin path; purchases never take this lock.
        lock (_gate)
        {
            if (sale.Version < engine.Sale.Version)
            {
                return false;
            }

            engine.UpdateDefinition(sale);
            return true;
        }
    }

    /// <summary>
    /// Units of the sale came back (expiry, cancellation): forwards <see cref="SaleEngine.NotifyUnitsReturned"/> to the
    /// sale's engine, if it runs here, and tells <see cref="SaleEngineOptions.OnStockChanged"/>.
    /// </summary>
    public void NotifyUnitsReturned(Guid saleId)
    {
        if (_engines.TryGetValue(saleId, out var engine))
        {
            engine.NotifyUnitsReturned();
        }

        _options.OnStockChanged?.Invoke(saleId);
    }

    /// <summary>
    /// Stops the engines of sales that ended at least <see cref="SaleEngineOptions.RetireAfterEnd"/> ago; what they
    /// hold queued is still decided and committed. Returns how many were retired.
    /// </summary>
    public async ValueTask<int> RetireEndedAsync()
    {
        var now = _time.GetUtcNow();
        var retired = 0;
        foreach (var (saleId, engine) in _engines)
        {
            if (now - engine.Sale.EndsAt < _retireAfterEnd)
            {
                continue;
            }

            bool removed;
            lock (_gate)
            {
                removed = _engines.TryRemove(new KeyValuePair<Guid, SaleEngine>(saleId, engine));
            }

            if (removed)
            {
                await engine.DisposeAsync().ConfigureAwait(false);
                retired++;
            }
        }

        return retired;
    }

    /// <summary>Stops every engine after it decided and committed what it holds queued.</summary>
    public async ValueTask DisposeAsync()
    {
        SaleEngine[] engines;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            engines = [.. _engines.Values];
            _engines.Clear();
        }

        if (_sweepTimer is not null)
        {
            await _sweepTimer.DisposeAsync().ConfigureAwait(false);
        }

        foreach (var engine in engines)
        {
            await engine.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task SweepAsync()
    {
        // Timer callbacks can overlap when a sweep waits for a long drain; one sweep at a time is enough.
        if (Interlocked.Exchange(ref _sweeping, 1) != 0)
        {
            return;
        }

        try
        {
            await RetireEndedAsync().ConfigureAwait(false);
        }
#pragma warning disable CA1031 // A timer callback has no caller to report to; the next sweep tries again.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            _options.OnFault?.Invoke(Guid.Empty, ex);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }
}
