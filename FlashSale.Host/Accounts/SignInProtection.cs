using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace FlashSale.Host.Accounts;

/// <summary>What bounds password guessing and hashing floods, bound from <c>Accounts</c>.</summary>
public sealed class SignInProtectionOptions
{
    public const string Section = "Accounts";

    /// <summary>Failed sign-ins one email may collect within <see cref="FailedSignInWindowSeconds"/>; then 429 until the window ends.</summary>
    [Range(1, 10_000)]
    public int FailedSignInLimit { get; set; } = 5;

    [Range(1, 86_400)]
    public int FailedSignInWindowSeconds { get; set; } = 300;

    /// <summary>Password hashes computed at once (0 = one per processor). Each costs ~100 ms of a core.</summary>
    [Range(0, 1_024)]
    public int MaxConcurrentHashes { get; set; }

    /// <summary>Hashes that may wait for a free slot; one more answers 503 at once.</summary>
    [Range(0, 100_000)]
    public int HashQueueLimit { get; set; } = 64;
}

/// <summary>
/// The password-hash slots: a sign-up or sign-in flood queues here instead of taking every core, and past the queue
/// it is refused with 503 at once. One gate per host.
/// </summary>
public sealed class PasswordHashGate : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;

    public PasswordHashGate(IOptions<SignInProtectionOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = settings.MaxConcurrentHashes > 0 ? settings.MaxConcurrentHashes : Environment.ProcessorCount,
            QueueLimit = settings.HashQueueLimit,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>A lease to hold while hashing; not acquired when the queue is full.</summary>
    public ValueTask<RateLimitLease> EnterAsync(CancellationToken cancellationToken) => _limiter.AcquireAsync(1, cancellationToken);

    public void Dispose() => _limiter.Dispose();
}

/// <summary>
/// Failed sign-ins per email (normalised), in a fixed window that starts at the first failure. Past the limit the
/// email answers 429 without a password check until the window ends: guessing one account is bounded whatever the
/// number of addresses the guesser has, and the owner is kept out for at most one window. A success clears the
/// count. In this host's memory: with N hosts, N times the limit.
/// </summary>
public sealed class SignInFailures(IOptions<SignInProtectionOptions> options, TimeProvider clock)
{
    /// <summary>Above this many tracked emails, ended windows are dropped (and all of them if that is not enough).</summary>
    private const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    private sealed class Window(long startedAt)
    {
        public long StartedAt = startedAt;
        public int Failures;
    }

    private TimeSpan Length => TimeSpan.FromSeconds(options.Value.FailedSignInWindowSeconds);

    /// <summary>True when the email reached its limit; <paramref name="retryAfter"/> is the rest of the window.</summary>
    public bool IsLocked(string normalizedEmail, out TimeSpan retryAfter)
    {
        retryAfter = TimeSpan.Zero;
        if (!_windows.TryGetValue(normalizedEmail, out var window))
        {
            return false;
        }
        lock (window)
        {
            var elapsed = clock.GetElapsedTime(window.StartedAt);
            if (elapsed >= Length || window.Failures < options.Value.FailedSignInLimit)
            {
                return false;
            }
            retryAfter = Length - elapsed;
            return true;
        }
    }

    public void RecordFailure(string normalizedEmail)
    {
        if (_windows.Count >= MaxTracked)
        {
            Prune();
        }
        var window = _windows.GetOrAdd(normalizedEmail, _ => new Window(clock.GetTimestamp()));
        lock (window)
        {
            if (clock.GetElapsedTime(window.StartedAt) >= Length)
            {
                window.StartedAt = clock.GetTimestamp();
                window.Failures = 0;
            }
            window.Failures++;
        }
    }

    public void RecordSuccess(string normalizedEmail) => _windows.TryRemove(normalizedEmail, out _);

    private void Prune()
    {
        foreach (var (email, window) in _windows)
        {
            if (clock.GetElapsedTime(Volatile.Read(ref window.StartedAt)) >= Length)
            {
                _windows.TryRemove(email, out _);
            }
        }
        if (_windows.Count >= MaxTracked)
        {
            _windows.Clear();
        }
    }
}
