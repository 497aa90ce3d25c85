using System.Buffers.Text;
using System.Globalization;
using System.Text;
using FlashSale.Engine.Core;
using FlashSale.Host.Infrastructure.Events;
using StackExchange.Redis;

namespace FlashSale.Host.Sales;

/// <summary>
/// How a created or changed sale reaches every host. The host that saved it applies it at once (every
/// <see cref="ISaleChangeListener"/>: engine, definition cache, admission loop, live screens), makes the stock authority
/// decide with it, and announces <c>sale-change|id|version</c> on the deployment's event channel; every other host
/// reads that version's row from PostgreSQL and applies it too, so a change reaches every host within a second. The
/// row's version orders everything: a listener is only ever given a newer version than the last it got, and Redis'
/// meta takes only a version that is not older than its own. The channel may drop a notice (pub/sub is at most once)
/// and the authority may miss an update; the periodic <see cref="ResyncAsync"/> of every live sale repairs both.
/// </summary>
public sealed partial class SaleChanges : IHostedService
{
    private const string Prefix = "sale-change|";
    private static readonly byte[] PrefixBytes = Encoding.ASCII.GetBytes(Prefix);

    /// <summary>Waits between attempts at making the authority take a change (three attempts in about half a second).</summary>
    private static readonly TimeSpan[] RetryDelays = [TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(300)];

    /// <summary>
    /// How long one attempt may take. A Redis that is unreachable queues commands until its own timeout (seconds); the
    /// admin should hear "not yet in force" well before that. An attempt that lands later is harmless (versions order it).
    /// </summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(1);

    private readonly SaleStore _store;
    private readonly IStockAuthority _authority;
    private readonly ISaleChangeListener[] _listeners;
    private readonly IEventChannel _channel;
    private readonly ILogger<SaleChanges> _logger;
    private readonly Dictionary<Guid, long> _applied = [];
    private readonly Lock _gate = new();

    public SaleChanges(SaleStore store, IStockAuthority authority, IEnumerable<ISaleChangeListener> listeners, IEventChannel channel,
        ILogger<SaleChanges> logger)
    {
        _store = store;
        _authority = authority;
        _listeners = [.. listeners];
        _channel = channel;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _channel.Subscribe(OnNotice);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>A sale was just created here: every host takes it, and the authority installs it (or its first purchase will).</summary>
    public async Task CreatedAsync(Sale sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        Apply(sale);
        _ = AnnounceAsync(sale);
        try
        {
            await _authority.EnsureInitializedAsync(SaleDefinitions.ToDefinition(sale), cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or Npgsql.NpgsqlException)
        {
            LogPrepareFailed(_logger, sale.Id, e);
        }
    }

    /// <summary>
    /// A sale was just changed here: every host takes it, and the authority decides with it. Returns false when the
    /// authority did not take it after a few attempts (the resync applies it later; the caller must not claim it holds).
    /// </summary>
    public async Task<bool> UpdatedAsync(Sale sale, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sale);
        Apply(sale);
        _ = AnnounceAsync(sale); // at most once anyway; the resync covers a lost notice, so the admin does not wait for it
        var definition = SaleDefinitions.ToDefinition(sale);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await _authority.UpdateSaleAsync(definition, cancellationToken).AsTask().WaitAsync(AttemptTimeout, cancellationToken);
                return true;
            }
            catch (Exception e) when (e is RedisException or TimeoutException)
            {
                LogAuthorityUpdateFailed(_logger, sale.Id, sale.Version, e);
                if (attempt == RetryDelays.Length)
                {
                    return false;
                }
            }
            await Task.Delay(RetryDelays[attempt], cancellationToken);
        }
    }

    /// <summary>
    /// Re-reads every sale that sells or ended within <paramref name="endedWithin"/> from PostgreSQL: this host takes any
    /// version it missed, and the authority any it did not apply. Returns how many sales it walked.
    /// </summary>
    public async Task<int> ResyncAsync(TimeSpan endedWithin, CancellationToken cancellationToken)
    {
        var sales = await _store.ListLiveAsync(endedWithin, cancellationToken);
        await Task.WhenAll(sales.Select(async sale =>
        {
            Apply(sale);
            await TryUpdateAuthorityAsync(sale, cancellationToken);
        }));
        return sales.Count;
    }

    /// <summary>The version of the sale this host last applied (0 when none).</summary>
    public long AppliedVersion(Guid saleId)
    {
        lock (_gate)
        {
            return _applied.GetValueOrDefault(saleId);
        }
    }

    /// <summary>Passes the sale to every listener if it is newer than what this host applied; true when it was.</summary>
    private bool Apply(Sale sale)
    {
        lock (_gate)
        {
            if (_applied.TryGetValue(sale.Id, out var applied) && applied >= sale.Version)
            {
                return false;
            }
            _applied[sale.Id] = sale.Version;
            foreach (var listener in _listeners)
            {
                listener.SaleChanged(sale);
            }
            return true;
        }
    }

    private async Task AnnounceAsync(Sale sale)
    {
        try
        {
            await _channel.PublishAsync(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Prefix}{sale.Id:D}|{sale.Version}")));
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // The other hosts take it at their next resync instead.
            LogAnnounceFailed(_logger, sale.Id, e);
        }
    }

    private void OnNotice(ReadOnlyMemory<byte> message)
    {
        if (!TryParse(message.Span, out var saleId, out var version) || AppliedVersion(saleId) >= version)
        {
            return; // another kind of message, or a change this host already has (its own announcement included)
        }
        _ = TakeAsync(saleId);
    }

    /// <summary>Reads the announced sale's row (its latest version, at least the announced one) and applies it here.</summary>
    private async Task TakeAsync(Guid saleId)
    {
        try
        {
            if (await _store.FindAsync(saleId, CancellationToken.None) is { } sale && Apply(sale))
            {
                // The host that saved it updated the authority already; this also repairs a rebuild that installed an
                // older definition meanwhile. A newer version in Redis stays as it is.
                await TryUpdateAuthorityAsync(sale, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or TimeoutException or InvalidOperationException)
        {
            LogTakeFailed(_logger, saleId, e);
        }
    }

    private async Task TryUpdateAuthorityAsync(Sale sale, CancellationToken cancellationToken)
    {
        try
        {
            await _authority.UpdateSaleAsync(SaleDefinitions.ToDefinition(sale), cancellationToken);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            LogAuthorityUpdateFailed(_logger, sale.Id, sale.Version, e);
        }
    }

    private static bool TryParse(ReadOnlySpan<byte> message, out Guid saleId, out long version)
    {
        saleId = default;
        version = 0;
        if (!message.StartsWith(PrefixBytes))
        {
            return false;
        }
        var rest = message[PrefixBytes.Length..];
        return Utf8Parser.TryParse(rest, out saleId, out var used, 'D') && used < rest.Length && rest[used] == (byte)'|'
            && Utf8Parser.TryParse(rest[(used + 1)..], out version, out var digits) && used + 1 + digits == rest.Length;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not prepare the stock authority for sale {SaleId}; it is prepared on first purchase")]
    private static partial void LogPrepareFailed(ILogger logger, Guid saleId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The stock authority did not take version {Version} of sale {SaleId}; the resync retries")]
    private static partial void LogAuthorityUpdateFailed(ILogger logger, Guid saleId, long version, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Announcing a change of sale {SaleId} failed; other hosts take it at their next resync")]
    private static partial void LogAnnounceFailed(ILogger logger, Guid saleId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Taking an announced change of sale {SaleId} failed; the next resync takes it")]
    private static partial void LogTakeFailed(ILogger logger, Guid saleId, Exception exception);
}
